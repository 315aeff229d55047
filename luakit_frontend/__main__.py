"""`python -m luakit_frontend`: what the frontend image's Entrypoint runs."""

from luakit_frontend.main import main

main()
