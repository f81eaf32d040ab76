"""Scale-out on PostgreSQL: several worker and web processes, one database."""
