"""``engagement demo``: a whole deployment's worth of data, driven end to end."""
