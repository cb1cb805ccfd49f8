"""Intake: every channel a complaint arrives by, behind one service (R-IN-1, R-IN-5)."""
