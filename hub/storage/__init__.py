"""PostgreSQL storage of the hub: migrations, partitions, and one module per table family."""
