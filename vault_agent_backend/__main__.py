"""`python -m vault_agent_backend` runs the `vab` command line."""

from vab_client.cli import main

if __name__ == "__main__":
    main()
