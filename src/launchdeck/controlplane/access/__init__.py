"""Who may do what: tokens and their roles (auth), the owner token (owner), the keyring that
seals secret config values (secrets), and the redaction of those values from every output."""
