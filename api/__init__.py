"""HTTP and GraphQL in front of the domain: no rules live here."""
