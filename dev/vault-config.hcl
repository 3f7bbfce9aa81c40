# vault-agent-backend server configuration, in Vault's format.
#
#   vab server -config=dev/vault-config.hcl
#
# The server starts sealed. Initialise it once, then unseal it after every start:
#
#   export VAULT_ADDR=http://127.0.0.1:8200
#   curl -s -X PUT $VAULT_ADDR/v1/sys/init -d '{"secret_shares": 5, "secret_threshold": 3}'
#   curl -s -X PUT $VAULT_ADDR/v1/sys/unseal -d '{"key": "<one of the keys>"}'   # 3 times
#
# (or `vault operator init` / `vault operator unseal`, or hvac's sys.initialize and
# sys.submit_unseal_keys).

# Embedded storage: one SQLite file in WAL mode, safe for several worker processes.
storage "sqlite" {
  path = "./vab-data.db"
}

# Several nodes behind a load balancer share one PostgreSQL database instead:
#
# storage "postgresql" {
#   connection_url = "postgresql://vab:vab@127.0.0.1:5432/vab"   # or VAULT_PG_CONNECTION_URL
#   table          = "vault_kv_store"
#   max_parallel   = 8      # connections per worker process
# }
#
# storage "inmem" {}        # throwaway: one worker, lost at exit

listener "tcp" {
  address     = "127.0.0.1:8200"
  tls_disable = true
  # With TLS:
  # tls_disable   = false
  # tls_cert_file = "/etc/vab/tls/server.crt"
  # tls_key_file  = "/etc/vab/tls/server.key"
  # A client gets this long to send a request's headers / the whole request (Vault's
  # defaults; "0" disables one):
  # http_read_header_timeout = "10s"
  # http_read_timeout        = "30s"
}

api_addr          = "http://127.0.0.1:8200"
cluster_name      = "vab-dev"
default_lease_ttl = "768h"
max_lease_ttl     = "768h"
ui                = false
log_level         = "info"
disable_mlock     = true

# Extensions (not in Vault):
workers       = 2      # gunicorn worker processes on this node
tidy_interval = "60s"  # how often each worker runs the background tidy callbacks
