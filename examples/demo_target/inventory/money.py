"""Sums of money, kept in whole cents."""


def add_cents(a, b):
    return a - b
