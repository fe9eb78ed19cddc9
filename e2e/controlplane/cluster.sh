#!/usr/bin/env bash
# A throwaway Kubernetes control plane on 127.0.0.1: etcd, kube-apiserver and
# kube-controller-manager built by build.sh, with all state in one directory.
#
#   cluster.sh up [--encryption aescbc|aesgcm|identity-first|none] [--no-audit]
#                 [--apiserver-flag --FLAG=VALUE]...  start; writes $DIR/env to source
#                                                     (identity-first: a config that lists
#                                                     identity before aescbc, so writes stay plain;
#                                                     --no-audit: no audit policy nor log;
#                                                     --apiserver-flag: appended, so it wins)
#   cluster.sh down                                   stop exactly what `up` started
#   cluster.sh env                                    print the env file
#   cluster.sh restart-apiserver                      stop and start kube-apiserver, same flags
#   cluster.sh token-kubeconfig NAMESPACE SA [OUT]    kubeconfig for a ServiceAccount token
#
# The directory is $RAMPART_E2E_DIR (an empty or new one for `up`), else a new temp dir
# for `up`; `env` and `token-kubeconfig` fall back to the directory of the last `up`.
# $RAMPART_E2E_CONTROLLERS sets kube-controller-manager's --controllers for `up` (default
# all but the node controllers); the scale benchmark keeps only those it needs, so that
# loaded objects stay as loaded.
# -E: the ERR trap that cleans up a failed `up` also fires inside the helper functions.
set -Eeuo pipefail
here=$(cd "$(dirname "$0")" && pwd)
version=$(awk '$1 == "k8s.io/kubernetes" {print $2}' "$here/go.mod")
cache="${XDG_CACHE_HOME:-$HOME/.cache}/rampart-e2e"
bin="$cache/$version/bin"
kubectl="$bin/kubectl"
# Remembers the last `up`, so `cluster.sh env` and `down` work from a fresh shell too.
last_dir_file="$cache/last-dir"

die() { echo "cluster.sh: $*" >&2; exit 1; }

# state_dir [--named]: the cluster's directory. With --named (down, restart-apiserver) only
# $RAMPART_E2E_DIR will do: the last `up` on a shared machine may be someone else's
# cluster, and stopping that by accident breaks their test run.
state_dir() {
  local dir=${RAMPART_E2E_DIR:-} last=""
  if [ -f "$last_dir_file" ]; then last=$(cat "$last_dir_file"); fi
  if [ -z "$dir" ] && [ "${1:-}" = --named ]; then
    die "RAMPART_E2E_DIR is not set; name the cluster (source its env file)${last:+, e.g. RAMPART_E2E_DIR=$last for the last one started here}"
  fi
  dir=${dir:-$last}
  [ -n "$dir" ] || die "RAMPART_E2E_DIR is not set and no cluster was started (run 'cluster.sh up')"
  [ -d "$dir" ] || die "$dir does not exist (was the cluster already stopped?)"
  echo "$dir"
}

# Prints N distinct free loopback ports. All sockets stay bound until every port is chosen,
# so the kernel cannot hand out the same one twice.
free_ports() {
  python3 - "$1" <<'PY'
import socket, sys
socks = [socket.socket() for _ in range(int(sys.argv[1]))]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(" ".join(str(s.getsockname()[1]) for s in socks))
for s in socks:
    s.close()
PY
}

# Runs a command in its own session, logging to $dir/logs/NAME.log, and records its pid.
start() {
  local dir=$1 name=$2; shift 2
  setsid "$@" >"$dir/logs/$name.log" 2>&1 < /dev/null &
  echo $! >"$dir/pids/$name"
}

alive() { [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }

# Stops one recorded process: TERM, then KILL after a grace period.
stop() {
  local pidfile=$1 pid
  alive "$pidfile" || { rm -f "$pidfile"; return 0; }
  pid=$(cat "$pidfile")
  kill -TERM "$pid" 2>/dev/null || true
  for _ in $(seq 1 50); do
    kill -0 "$pid" 2>/dev/null || { rm -f "$pidfile"; return 0; }
    sleep 0.2
  done
  kill -KILL "$pid" 2>/dev/null || true
  rm -f "$pidfile"
}

show_logs() {
  local dir=$1
  for log in "$dir"/logs/*.log; do
    echo "----- last lines of $log" >&2
    tail -n 25 "$log" >&2 || true
  done
}

# Waits until `kubectl get --raw /readyz` answers ok, or fails with the logs.
wait_ready() {
  local dir=$1 timeout=${2:-120}
  local deadline=$(( $(date +%s) + timeout ))
  until "$kubectl" --kubeconfig "$dir/admin.kubeconfig" get --raw /readyz >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "cluster.sh: kube-apiserver not ready after ${timeout}s" >&2
      show_logs "$dir"; return 1
    fi
    alive "$dir/pids/kube-apiserver" || { echo "cluster.sh: kube-apiserver exited" >&2; show_logs "$dir"; return 1; }
    sleep 0.5
  done
}

cert() {
  # cert DIR NAME SUBJECT [EXTFILE]: a key and a certificate signed by the cluster CA.
  local dir=$1 name=$2 subject=$3 ext=${4:-}
  openssl req -new -nodes -newkey rsa:2048 -keyout "$dir/pki/$name.key" \
    -out "$dir/pki/$name.csr" -subj "$subject" 2>/dev/null
  openssl x509 -req -in "$dir/pki/$name.csr" -CA "$dir/pki/ca.crt" -CAkey "$dir/pki/ca.key" \
    -CAcreateserial -days 7 -out "$dir/pki/$name.crt" ${ext:+-extfile "$ext"} 2>/dev/null
}

# write_kubeconfig DIR OUT NAME USER-FIELDS [NAMESPACE]: a kubeconfig for this cluster;
# USER-FIELDS are the `user:` lines (a client certificate or a token).
write_kubeconfig() {
  local dir=$1 out=$2 name=$3 user=$4 ns=${5:-} server
  server=$(cat "$dir/server")
  cat >"$out" <<KC
apiVersion: v1
kind: Config
clusters:
- name: rampart-e2e
  cluster:
    server: $server
    certificate-authority: $dir/pki/ca.crt
users:
- name: $name
  user:
$user
contexts:
- name: $name@rampart-e2e
  context: {cluster: rampart-e2e, user: $name${ns:+, namespace: $ns}}
current-context: $name@rampart-e2e
KC
}

kubeconfig() {
  # kubeconfig DIR OUT USER CERT KEY: client-certificate credentials.
  write_kubeconfig "$1" "$2" "$3" "    client-certificate: $4
    client-key: $5"
}

start_apiserver() {
  local dir=$1
  mapfile -t args <"$dir/kube-apiserver.args"
  start "$dir" kube-apiserver "$bin/kube-apiserver" "${args[@]}"
}

up() {
  local encryption=none audit=yes extra_flags=()
  while [ $# -gt 0 ]; do
    case $1 in
      --encryption) encryption=${2:-}; shift 2 ;;
      --no-audit) audit=no; shift ;;
      --apiserver-flag)
        case ${2:-} in --*) extra_flags+=("$2") ;; *) die "--apiserver-flag takes --FLAG=VALUE" ;; esac
        shift 2 ;;
      *) die "unknown option $1" ;;
    esac
  done
  case $encryption in aescbc|aesgcm|identity-first|none) ;; *) die "--encryption takes aescbc, aesgcm, identity-first or none" ;; esac
  for b in etcd kube-apiserver kube-controller-manager kubectl; do
    [ -x "$bin/$b" ] || die "$bin/$b is missing: run e2e/controlplane/build.sh first"
  done
  local dir=${RAMPART_E2E_DIR:-$(mktemp -d "${TMPDIR:-/tmp}/rampart-e2e.XXXXXX")}
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  # Stale etcd data or PKI would make a confusing cluster, and `down` deletes the whole
  # directory, so only an empty one is ever taken.
  if [ -n "$(ls -A "$dir")" ]; then
    die "$dir is not empty: run 'cluster.sh down' for it, or choose another RAMPART_E2E_DIR"
  fi
  mkdir -p "$dir"/{pki,logs,pids}
  # etcd warns about a data directory others can read.
  mkdir -m 700 "$dir/etcd"
  mkdir -p "$cache" && echo "$dir" >"$last_dir_file"
  echo "cluster state in $dir"
  # A failed start stops whatever it had started and keeps the logs for reading.
  trap 'failed_up "$dir"' ERR

  local etcd_port etcd_peer api_port
  read -r etcd_port etcd_peer api_port < <(free_ports 3)
  echo "https://127.0.0.1:$api_port" >"$dir/server"
  echo "http://127.0.0.1:$etcd_port" >"$dir/etcd-url"

  # PKI: a CA, the API server's serving certificate, client certificates for the admin
  # (system:masters) and the controller manager, and the ServiceAccount signing key.
  openssl req -x509 -new -nodes -newkey rsa:2048 -keyout "$dir/pki/ca.key" \
    -out "$dir/pki/ca.crt" -days 7 -subj "/CN=rampart-e2e-ca" 2>/dev/null
  cat >"$dir/pki/serving.ext" <<EXT
subjectAltName = IP:127.0.0.1, IP:10.0.0.1, DNS:localhost, DNS:kubernetes, DNS:kubernetes.default, DNS:kubernetes.default.svc
extendedKeyUsage = serverAuth
EXT
  printf 'extendedKeyUsage = clientAuth\n' >"$dir/pki/client.ext"
  cert "$dir" apiserver "/CN=kube-apiserver" "$dir/pki/serving.ext"
  cert "$dir" admin "/O=system:masters/CN=rampart-e2e-admin" "$dir/pki/client.ext"
  cert "$dir" controller-manager "/CN=system:kube-controller-manager" "$dir/pki/client.ext"
  openssl genrsa -out "$dir/pki/sa.key" 2048 2>/dev/null
  openssl rsa -in "$dir/pki/sa.key" -pubout -out "$dir/pki/sa.pub" 2>/dev/null
  kubeconfig "$dir" "$dir/admin.kubeconfig" rampart-e2e-admin "$dir/pki/admin.crt" "$dir/pki/admin.key"
  kubeconfig "$dir" "$dir/controller-manager.kubeconfig" system:kube-controller-manager \
    "$dir/pki/controller-manager.crt" "$dir/pki/controller-manager.key"

  # The kubernetes Service endpoint reconciler refuses a loopback address; nothing here
  # needs that endpoint, so it is off (--endpoint-reconciler-type=none below).
  # Secrets at RequestResponse, so tests can see what exactly was read; nothing else,
  # so the log stays small.
  cat >"$dir/audit-policy.yaml" <<'POLICY'
apiVersion: audit.k8s.io/v1
kind: Policy
omitStages: [RequestReceived]
rules:
- level: RequestResponse
  resources:
  - group: ""
    resources: ["secrets"]
- level: None
POLICY

  local enc_args=()
  if [ "$encryption" != none ]; then
    local key
    key=$(head -c 32 /dev/urandom | base64)
    local first=$encryption second=identity
    # identity first: the API server can read encrypted data but writes plaintext.
    if [ "$encryption" = identity-first ]; then first=identity; second=aescbc; fi
    provider() {
      if [ "$1" = identity ]; then echo "  - identity: {}"; return; fi
      printf '  - %s:\n      keys:\n      - {name: e2e-key, secret: "%s"}\n' "$1" "$key"
    }
    {
      printf 'apiVersion: apiserver.config.k8s.io/v1\nkind: EncryptionConfiguration\nresources:\n'
      printf -- '- resources: [secrets]\n  providers:\n'
      provider "$first"
      provider "$second"
    } >"$dir/encryption-config.yaml"
    enc_args=("--encryption-provider-config=$dir/encryption-config.yaml")
  fi

  start "$dir" etcd "$bin/etcd" --name rampart-e2e --data-dir "$dir/etcd" \
    --listen-client-urls "http://127.0.0.1:$etcd_port" --advertise-client-urls "http://127.0.0.1:$etcd_port" \
    --listen-peer-urls "http://127.0.0.1:$etcd_peer" --initial-advertise-peer-urls "http://127.0.0.1:$etcd_peer" \
    --initial-cluster "rampart-e2e=http://127.0.0.1:$etcd_peer" --unsafe-no-fsync --log-level warn

  cat >"$dir/kube-apiserver.args" <<ARGS
--etcd-servers=http://127.0.0.1:$etcd_port
--bind-address=127.0.0.1
--advertise-address=127.0.0.1
--endpoint-reconciler-type=none
--secure-port=$api_port
--tls-cert-file=$dir/pki/apiserver.crt
--tls-private-key-file=$dir/pki/apiserver.key
--client-ca-file=$dir/pki/ca.crt
--service-account-issuer=https://kubernetes.default.svc
--service-account-key-file=$dir/pki/sa.pub
--service-account-signing-key-file=$dir/pki/sa.key
--service-cluster-ip-range=10.0.0.0/24
--authorization-mode=Node,RBAC
--allow-privileged=true
--profiling=false
--v=1
ARGS
  if [ "$audit" = yes ]; then
    printf '%s\n' "--audit-policy-file=$dir/audit-policy.yaml" "--audit-log-path=$dir/audit.log" \
      --audit-log-format=json >>"$dir/kube-apiserver.args"
  fi
  if [ ${#enc_args[@]} -gt 0 ]; then printf '%s\n' "${enc_args[@]}" >>"$dir/kube-apiserver.args"; fi
  # Last, so that a flag given here overrides the secure default above (the binary keeps
  # the last occurrence of a flag).
  if [ ${#extra_flags[@]} -gt 0 ]; then printf '%s\n' "${extra_flags[@]}" >>"$dir/kube-apiserver.args"; fi
  start_apiserver "$dir"
  wait_ready "$dir" 180

  start "$dir" kube-controller-manager "$bin/kube-controller-manager" \
    --kubeconfig="$dir/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$dir/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$dir/controller-manager.kubeconfig" \
    --service-account-private-key-file="$dir/pki/sa.key" \
    --root-ca-file="$dir/pki/ca.crt" \
    --cluster-signing-cert-file="$dir/pki/ca.crt" --cluster-signing-key-file="$dir/pki/ca.key" \
    --use-service-account-credentials=true \
    --controllers="${RAMPART_E2E_CONTROLLERS:-*,-nodeipam,-nodelifecycle}" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=0 --v=1

  # The controller manager is working once it has created the default ServiceAccount.
  local deadline=$(( $(date +%s) + 120 ))
  until "$kubectl" --kubeconfig "$dir/admin.kubeconfig" -n default get serviceaccount default >/dev/null 2>&1; do
    if [ "$(date +%s)" -ge "$deadline" ]; then
      echo "cluster.sh: no default ServiceAccount after 120s" >&2; show_logs "$dir"; false
    fi
    if ! alive "$dir/pids/kube-controller-manager"; then
      echo "cluster.sh: kube-controller-manager exited" >&2; show_logs "$dir"; false
    fi
    sleep 0.5
  done
  trap - ERR

  cat >"$dir/env" <<ENV
export RAMPART_E2E_DIR=$dir
export RAMPART_E2E_KUBECONFIG=$dir/admin.kubeconfig
export KUBECONFIG=$dir/admin.kubeconfig
export RAMPART_E2E_AUDIT_LOG=$dir/audit.log
export RAMPART_E2E_BIN=$bin
export RAMPART_E2E_ENCRYPTION=$encryption
export RAMPART_E2E_ETCD=http://127.0.0.1:$etcd_port
export PATH=$bin:\$PATH
ENV
  echo "control plane $version ready at $(cat "$dir/server"); source $dir/env"
}

stop_all() {
  local dir=$1 name
  # Reverse start order: clients first, so nothing logs errors about a vanished etcd.
  for name in kube-controller-manager kube-apiserver etcd; do
    stop "$dir/pids/$name"
  done
}

failed_up() {
  local dir=$1
  trap - ERR
  stop_all "$dir"
  touch "$dir/failed"
  echo "cluster.sh: start failed; processes stopped, logs kept in $dir/logs" >&2
  exit 1
}

down() {
  local dir
  dir=$(state_dir --named)
  stop_all "$dir"
  if [ "$(cat "$last_dir_file" 2>/dev/null)" = "$dir" ]; then rm -f "$last_dir_file"; fi
  if [ "${RAMPART_E2E_KEEP:-0}" = 1 ] || [ -e "$dir/failed" ]; then
    echo "cluster stopped; state and logs kept in $dir"
  else
    rm -rf "$dir"
    echo "cluster stopped and $dir removed"
  fi
}

restart_apiserver() {
  local dir
  dir=$(state_dir --named)
  stop "$dir/pids/kube-apiserver"
  start_apiserver "$dir"
  wait_ready "$dir" 180
  echo "kube-apiserver restarted"
}

token_kubeconfig() {
  local ns=${1:-} sa=${2:-} dir out token
  if [ -z "$ns" ] || [ -z "$sa" ]; then die "usage: cluster.sh token-kubeconfig NAMESPACE SERVICEACCOUNT [OUT]"; fi
  dir=$(state_dir)
  out=${3:-$dir/$ns-$sa.kubeconfig}
  token=$("$kubectl" --kubeconfig "$dir/admin.kubeconfig" -n "$ns" create token "$sa" --duration=2h)
  write_kubeconfig "$dir" "$out" "$ns-$sa" "    token: $token" "$ns"
  echo "$out"
}

cmd=${1:-}
[ $# -gt 0 ] && shift
case $cmd in
  up) up "$@" ;;
  down) down ;;
  env) cat "$(state_dir)/env" ;;
  restart-apiserver) restart_apiserver ;;
  token-kubeconfig) token_kubeconfig "$@" ;;
  *) die "usage: cluster.sh up [--encryption aescbc|aesgcm|identity-first|none] [--no-audit] [--apiserver-flag --FLAG=VALUE]... | down | env | restart-apiserver | token-kubeconfig NAMESPACE SA [OUT]" ;;
esac
