"""Kesu (客诉): customer-complaint handling from intake to verified improvement."""
