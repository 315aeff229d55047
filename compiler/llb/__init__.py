"""Marshalling the op graph to BuildKit's pb.Definition."""
