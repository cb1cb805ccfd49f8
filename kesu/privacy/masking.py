"""How personal data is shown by default: masked (R-SEC-2)."""

from __future__ import annotations


def mask_name(name: str) -> str:
    """张三 → 张**, John Smith → J*** S***: a fixed number of stars hides the length."""
    name = name.strip()
    if not name:
        return ""
    if name.isascii():
        return " ".join(part[0] + "***" for part in name.split())
    return name[0] + "**"


def mask_phone(phone: str) -> str:
    """13812341234 → 138****1234; short numbers keep only their last two digits."""
    digits = phone.strip()
    if len(digits) >= 11:
        return digits[:3] + "*" * (len(digits) - 7) + digits[-4:]
    if len(digits) > 2:
        return "*" * (len(digits) - 2) + digits[-2:]
    return "*" * len(digits)


def mask_email(email: str) -> str:
    """zhang.san@example.com → z***@example.com."""
    local, at, domain = email.strip().partition("@")
    if not at:
        return mask_name(email)
    return f"{local[:1]}***@{domain}"


def mask_address(address: str) -> str:
    """Keep the first six characters (province/city), hide the rest."""
    address = address.strip()
    if len(address) <= 6:
        return address[:2] + "*" * max(len(address) - 2, 0)
    return address[:6] + "*" * 6
