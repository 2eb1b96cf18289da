"""The rights pages and files: works, owners, licences, transfers, verification."""
