"""learn-sessions: a small account service on coatcheck (see README.md)."""
