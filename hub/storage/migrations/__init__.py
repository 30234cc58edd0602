"""SQL migrations of the hub, numbered NNNN_name.sql; applied by hub.storage.migrate."""
