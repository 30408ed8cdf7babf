"""Real ``cardflow serve`` processes under many concurrent clients: several writers on one
database, and a server killed with SIGKILL in the middle of its load."""
