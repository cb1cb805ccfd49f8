"""Forms of the staff UI: parse and validate input; services apply the rules."""
