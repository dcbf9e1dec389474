"""The ``engagement`` command line for operators."""
