"""Operators: console accounts, their roles, departments and regions, and their sessions."""
