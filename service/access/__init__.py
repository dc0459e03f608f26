"""Who may do what: roles, the person or machine behind a request, tokens, and sign-on."""
