"""dryrun audit: read a hand-written worked solution and find its wrong numbers."""
