"""Accounts: phones (app users, QR codes, phone URLs) and web users. Imports core and publishing."""
