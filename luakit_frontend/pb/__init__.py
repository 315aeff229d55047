"""Generated from proto/gateway/gateway.proto; do not edit (see proto/gateway/generate.py)."""
