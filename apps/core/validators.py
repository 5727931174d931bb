"""Validators shared by the apps' models and forms."""

from django.core.validators import RegexValidator

#: An international or national phone number: digits with optional +, spaces, dots, dashes,
#: parentheses; 6 to 15 digits in all (E.164 allows at most 15).
phone_validator = RegexValidator(
    regex=r"^\+?(?=(?:\D*\d){6,15}\D*$)[\d\s().-]+$",
    message="Enter a valid phone number, e.g. +44 20 7946 0958.",
    code="invalid_phone",
)
