"""Salesforce: the connection, the account and contact sync, member links."""
