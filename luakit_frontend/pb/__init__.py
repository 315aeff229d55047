"""Generated from proto/gateway/gateway.proto; do not edit (see proto/generate_services.py)."""
