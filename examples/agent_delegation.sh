#!/usr/bin/env bash
# The delegation example with the command line only (vab, openssl), against a dev server:
#
#   vab server -dev -dev-root-token-id=root &
#   export VAULT_ADDR=http://127.0.0.1:8200 VAULT_TOKEN=root
#   bash examples/agent_delegation.sh
#
# It works in a temporary directory (the agent's key, the token, a token helper of its own),
# and names carry a random suffix, so it can run again on the same server.
set -euo pipefail
: "${VAULT_ADDR:?set VAULT_ADDR}" "${VAULT_TOKEN:?set VAULT_TOKEN to an operator (root) token}"
ROOT_TOKEN=$VAULT_TOKEN
RUN=$(openssl rand -hex 3)
WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
export VAULT_TOKEN_PATH="$WORK/.vault-token"   # vab login stores alice's token here
step() { printf '\n== %s\n' "$*"; }

step "[1] operator: a userpass login for alice, policies, two secrets, the agent's registration"
vab auth list | grep '^userpass/ ' >/dev/null || vab auth enable userpass
vab policy write "human-$RUN" - <<HCL
path "secret/data/app-$RUN/*" { capabilities = ["read"] }
path "identity/agent/delegation" { capabilities = ["update", "list"] }
path "identity/agent/delegation/*" { capabilities = ["read", "delete", "list"] }
HCL
echo 'path "secret/data/*" { capabilities = ["read"] }' | vab policy write "ceiling-$RUN" -
vab write "auth/userpass/users/alice-$RUN" password=wonderland "token_policies=human-$RUN"
vab kv put "secret/app-$RUN/db" password=db-s3cret >/dev/null
vab kv put "secret/app-$RUN/payments" card=4111 >/dev/null
openssl genpkey -algorithm ed25519 -out bot.pem
openssl pkey -in bot.pem -pubout -out bot.pub
AGENT_ID=$(vab agent register "-ceiling-policy=ceiling-$RUN" -public-key=@bot.pub -field=id "bot-$RUN")
echo "agent bot-$RUN registered: $AGENT_ID"

step "[2] alice logs in and delegates; her own token never leaves her"
unset VAULT_TOKEN
vab login -method=userpass "username=alice-$RUN" password=wonderland >/dev/null
DELEGATION_ID=$(vab agent delegate -purpose="invoices" -field=delegation_id "bot-$RUN" \
    "secret/data/app-$RUN/*:read")
echo "delegation: $DELEGATION_ID"

step "[3] agent: a token for one transaction (its private key and the delegation id only)"
vab agent token "-client-id=$AGENT_ID" -private-key=bot.pem "-delegation=$DELEGATION_ID" \
    -field=access_token "secret/data/app-$RUN/db:read" > token.jwt
echo "password: $(VAULT_TOKEN=$(cat token.jwt) vab kv get -field=password "secret/app-$RUN/db")"

step "[4] agent: the next secret is outside the token's authorization_details"
if VAULT_TOKEN=$(cat token.jwt) vab kv get "secret/app-$RUN/payments"; then
    echo "UNEXPECTED: the payments secret was readable"; exit 1
fi
VAULT_TOKEN=$(cat token.jwt) vab agent explain -token=@token.jwt \
    "read:secret/data/app-$RUN/db" "read:secret/data/app-$RUN/payments"

step "[5] alice revokes the delegation; the agent's very next request is refused"
vab agent revoke-delegation "$DELEGATION_ID"
if VAULT_TOKEN=$(cat token.jwt) vab kv get "secret/app-$RUN/db"; then
    echo "UNEXPECTED: the token still works"; exit 1
fi
VAULT_TOKEN=$ROOT_TOKEN
echo "Done."
