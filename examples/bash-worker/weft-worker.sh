#!/usr/bin/env bash
# shellcheck source-path=SCRIPTDIR
# weft-worker.sh — a weft worker written in bash, talking to PostgreSQL with psql only.
#
# It proves the promise of docs/protocol.md: a worker in any language reads its namespace's
# PGMQ queue and reports through weft's SQL functions; no TypeScript is involved.
#
#   DATABASE_URL=postgres://user@host/db ./weft-worker.sh <namespace> [options]
#
# The loop (one psql call per SQL statement, autocommit):
#   1. pgmq.read(queue, vt, qty)      claim up to qty step messages for vt seconds (the lease),
#                                     decoded to key/value lines in the same statement
#                                     (every statement is a file in sql/ beside this script)
#   2. a malformed message            weft.dead_letter_message (archived with the reason, never dropped)
#   3. run the handler in bash        handlers.sh (or --handlers FILE) defines handle_<name>
#   4. weft.complete_step / weft.fail_step with the message's step_id and attempt (the fencing token)
#   long handlers call keep_alive → weft.heartbeat_step every third of the lease;
#   carry_on = false (task cancelled, attempt superseded) → stop and report nothing.
#
# Needs bash >= 5 (EPOCHREALTIME), psql, and the coreutils `sleep` and `mktemp`.
set -euo pipefail

usage() {
  cat <<'EOF'
Usage: DATABASE_URL=postgres://… weft-worker.sh <namespace> [options]

Reads step messages from the namespace's PGMQ queue, runs the bash handlers and reports
through weft.complete_step / weft.fail_step. Stops on SIGINT/SIGTERM (after the current step).

Options:
  --once                    read one batch, handle it, exit
  --max-idle-polls N        exit (status 0) after N empty polls in a row (default 0: never)
  --batch N                 messages read per poll (default 1; they are run one after the
                            other, and each waits on its own lease: keep it small)
  --vt SECONDS              lease: visibility timeout of a read message (default 30)
  --poll-interval-ms MS     longest sleep between empty polls (default 1000)
  --processor-id ID         name of this worker in transitions (default bash-<host>-<pid>)
  --handlers FILE           bash file defining handle_<name> functions (default: handlers.sh here)
  -h, --help                this text
Environment: DATABASE_URL (or WEFT_DATABASE_URL), WEFT_LOG_LEVEL (debug, info, warn, error).
Exit status: 0 stopped; 2 bad usage or unknown namespace; 3 database unreachable;
4 schema weft not installed; 130/143 second SIGINT/SIGTERM.
EOF
}

# --- settings (flag > environment > default) -------------------------------------------------
NAMESPACE=""
ONCE=0
MAX_IDLE_POLLS=0
BATCH=1
VT=30
POLL_MAX_MS=1000
WORKER_ID="bash-${HOSTNAME:-localhost}-$$"
HERE=.
if [[ ${BASH_SOURCE[0]} == */* ]]; then HERE=${BASH_SOURCE[0]%/*}; fi
HANDLERS_FILE="$HERE/handlers.sh"
SQL_DIR="$HERE/sql"   # every statement this worker runs, one file each
DATABASE_URL=${DATABASE_URL:-${WEFT_DATABASE_URL:-}}
LOG_LEVEL=${WEFT_LOG_LEVEL:-info}

# --- state ---------------------------------------------------------------------------------
STOPPING=0          # set by the first SIGINT/SIGTERM
QUEUE=""            # the namespace's PGMQ queue (weft.namespaces.queue_name)
declare -A MSG=()   # the current message's fields (see decode_fields)
CUR_MSG_ID=""       # msg_id of the current message
READ_AT_MS=0        # when the current batch was read (its messages' leases started then)
RENEW_AT_MS=0       # when the current message's lease is a third gone: heartbeat then
DEADLINE_AT_MS=0    # when the current attempt times out (local clock), 0 = no deadline
OUTCOME=""          # set by a handler: complete | failed | abandoned
RESULT="" ERR_CODE="" ERR_NAME="" ERR_MESSAGE="" RETRYABLE=true ABANDON_REASON=""
STAT_COMPLETED=0 STAT_FAILED=0 STAT_REJECTED=0 STAT_DEAD=0 STAT_ABANDONED=0 STAT_ERRORS=0
NOW_MS=0
ERR_FILE=""

# --- logging: one logfmt line per event on stderr -----------------------------------------
declare -A LEVEL_RANK=([debug]=0 [info]=1 [warn]=2 [error]=3)
LOG_RANK=${LEVEL_RANK[$LOG_LEVEL]:-1}

# log <level> <message> [key=value ...]
log() {
  local level=$1 msg=$2 line ts kv k v
  shift 2
  if (( ${LEVEL_RANK[$level]} < LOG_RANK )); then return 0; fi
  printf -v ts '%(%Y-%m-%dT%H:%M:%S%z)T' -1
  line="$ts level=$level worker=$WORKER_ID msg=\"$msg\""
  for kv in "$@"; do
    k=${kv%%=*} v=${kv#*=}
    if [[ $v == *[[:space:]\"=]* || -z $v ]]; then v="\"${v//\"/\\\"}\""; fi
    line+=" $k=$v"
  done
  printf '%s\n' "$line" >&2
}

# now_ms: sets NOW_MS to the local clock in milliseconds (no subshell, no `date`).
now_ms() {
  local us=${EPOCHREALTIME//[.,]/}
  NOW_MS=$(( us / 1000 ))
}

# pause_ms <ms>: sleeps, but returns at once when a signal arrives (the trap runs first).
pause_ms() {
  local ms=$1 secs pid
  if (( ms <= 0 )); then return 0; fi
  printf -v secs '%d.%03d' $(( ms / 1000 )) $(( ms % 1000 ))
  sleep "$secs" &
  pid=$!
  wait "$pid" || kill "$pid" 2>/dev/null || true
}

# --- SQL -----------------------------------------------------------------------------------
# run_sql [name=value ...] < statement.sql
#   Runs the SQL read from stdin in one psql session; name=value pairs become psql variables,
#   used in the SQL as :'name' (quoted by psql, so no value is ever pasted into SQL text).
#   Rows land in SQL_OUT, one line per row, fields separated by US (\x1f). On failure it
#   returns 1 with SQL_STATE (e.g. WF006; empty when the server was not reached) and
#   SQL_ERROR. WARNINGs (WF007: a stale report was recorded, not applied) are logged.
SQL_OUT="" SQL_STATE="" SQL_ERROR=""
run_sql() {
  local args=() pair rc=0 text
  for pair in "$@"; do args+=(-v "$pair"); done
  SQL_OUT="" SQL_STATE="" SQL_ERROR=""
  SQL_OUT=$(psql -X -q -A -t -w -F $'\x1f' -v ON_ERROR_STOP=1 -v VERBOSITY=verbose \
    -d "$DATABASE_URL" "${args[@]}" -f - 2>"$ERR_FILE") || rc=$?
  text=$(<"$ERR_FILE")
  if (( rc == 0 )); then
    if [[ $text =~ WARNING:\ +([0-9A-Z]{5}):\ ([^$'\n']*) ]]; then
      log warn "database warning" sqlstate="${BASH_REMATCH[1]}" detail="${BASH_REMATCH[2]}"
    fi
    return 0
  fi
  if [[ $text =~ (ERROR|FATAL):\ +([0-9A-Z]{5}):\ ([^$'\n']*) ]]; then
    SQL_STATE=${BASH_REMATCH[2]} SQL_ERROR=${BASH_REMATCH[3]}
  else
    SQL_ERROR=${text%%$'\n'*}
    SQL_ERROR=${SQL_ERROR:-psql exited with status $rc}
  fi
  return 1
}

# --- the protocol ------------------------------------------------------------------------
# read_batch: claims up to BATCH visible messages for VT seconds (the lease) and decodes them
# in the same statement (sql/read-batch.sql). Sets BATCH_IDS, BATCH_READS (read_ct) and
# BATCH_FIELDS: per message, lines "key US value" (see decode_fields).
BATCH_IDS=() BATCH_READS=() BATCH_FIELDS=()
read_batch() {
  BATCH_IDS=() BATCH_READS=() BATCH_FIELDS=()
  run_sql "queue=$QUEUE" "vt=$VT" "qty=$BATCH" <"$SQL_DIR/read-batch.sql" || return 1
  local id key value n=-1 last=""
  while IFS=$'\x1f' read -r id key value; do
    if [[ -z $id ]]; then continue; fi
    if [[ $id != "$last" ]]; then
      n=$(( n + 1 )) last=$id
      BATCH_IDS[n]=$id BATCH_FIELDS[n]=""
    fi
    if [[ $key == read_ct ]]; then BATCH_READS[n]=$value; fi
    BATCH_FIELDS[n]+="$key"$'\x1f'"$value"$'\n'
  done <<<"$SQL_OUT"
}

# decode_fields <lines>: loads one message's fields into MSG: task_id, step_id, attempt,
# max_attempts, handler, step, namespace, workflow (name@version), checkpoint (JSON text or
# empty), deadline_ms_left (empty = no deadline), kind (step | compensation), compensates.step,
# compensates.step_id, compensates.result (a compensation step: what it undoes; else empty),
# and one key per member of args, context and parents: MSG[args.failures], MSG[context.n],
# MSG[parents.left] (strings as text, other JSON as JSON text). MSG[problem] says why it is not
# a step message, when it is not one.
decode_fields() {
  local key value
  MSG=()
  while IFS=$'\x1f' read -r key value; do
    if [[ -n $key ]]; then MSG[$key]=$value; fi
  done <<<"$1"
}

# dead_letter <msg_id> <reason>: archives a message weft cannot use and records why.
dead_letter() {
  if run_sql "queue=$QUEUE" "msg_id=$1" "reason=$2" "worker=$WORKER_ID" <"$SQL_DIR/dead-letter.sql"; then
    STAT_DEAD=$(( STAT_DEAD + 1 ))
    log error "message dead-lettered" msg_id="$1" reason="$2"
  else
    STAT_ERRORS=$(( STAT_ERRORS + 1 ))
    log error "could not dead-letter; the message returns after its lease" msg_id="$1" sqlstate="$SQL_STATE" error="$SQL_ERROR"
  fi
}

# release <msg_id ...>: makes messages visible again at once, for another worker (shutting down).
# Their lease is then over: unless a worker reads one first, the orchestrator's stalled-step sweep
# fails that attempt as lease_expired and the retry policy schedules the next one.
release() {
  local IFS=,
  run_sql "queue=$QUEUE" "ids=$*" <"$SQL_DIR/release.sql" || log warn "could not release messages; they return after their lease" ids="$*"
}

# heartbeat [percent [message]]: extends the current attempt's lease by VT seconds and stores
# the progress, if given. Returns 1, with ABANDON_REASON, when weft says carry_on = false (task
# cancelled or finalizing, attempt superseded…). A heartbeat that does not reach the database
# is logged and the work goes on (the lease still has two thirds left).
heartbeat() {
  if ! run_sql "step_id=${MSG[step_id]}" "attempt=${MSG[attempt]}" "vt=$VT" "percent=${1-}" "note=${2-}" <"$SQL_DIR/heartbeat.sql"; then
    log warn "heartbeat failed" step_id="${MSG[step_id]}" sqlstate="$SQL_STATE" error="$SQL_ERROR"
    return 0
  fi
  local carry_on reason
  IFS=$'\x1f' read -r carry_on reason <<<"$SQL_OUT"
  if [[ $carry_on == t ]]; then return 0; fi
  ABANDON_REASON=$reason
  return 1
}

# keep_alive [percent [message]]: for handlers, between slices of work. Heartbeats (with the
# progress) when a third of the lease has gone; returns 1, with ABANDON_REASON, when the
# handler must stop: weft said carry_on = false, or the worker is shutting down.
keep_alive() {
  if (( STOPPING )); then ABANDON_REASON=shutting_down; return 1; fi
  now_ms
  if (( NOW_MS < RENEW_AT_MS )); then return 0; fi
  RENEW_AT_MS=$(( NOW_MS + VT * 1000 / 3 ))
  heartbeat "$@"
}

# deadline_passed: true when the current attempt has a deadline and it has passed.
deadline_passed() {
  now_ms
  (( DEADLINE_AT_MS > 0 && NOW_MS >= DEADLINE_AT_MS ))
}

# What a handler calls to say how the attempt ended (exactly one of them).
succeed() { OUTCOME=complete RESULT=$1; }
fail_retryable() { OUTCOME=failed ERR_CODE=$1 ERR_MESSAGE=$2 ERR_NAME=StepError RETRYABLE=true; }
fail_permanent() { OUTCOME=failed ERR_CODE=$1 ERR_MESSAGE=$2 ERR_NAME=PermanentError RETRYABLE=false; }
abandon() { OUTCOME=abandoned; }

# report: sends OUTCOME with the message's step_id and attempt. Transient failures are retried
# a few times; after that the lease runs out and weft fails the attempt as lease_expired (the
# retry policy decides what follows). A report the database refuses as bad input (unknown step,
# attempt never started) dead-letters the message.
report() {
  local try
  for try in 1 2 3 4 5; do
    if [[ $OUTCOME == complete ]]; then
      run_sql "step_id=${MSG[step_id]}" "attempt=${MSG[attempt]}" "result=$RESULT" "worker=$WORKER_ID" <"$SQL_DIR/complete-step.sql" && break
    else
      run_sql "step_id=${MSG[step_id]}" "attempt=${MSG[attempt]}" "code=$ERR_CODE" "name=$ERR_NAME" \
        "message=$ERR_MESSAGE" "retryable=$RETRYABLE" "worker=$WORKER_ID" <"$SQL_DIR/fail-step.sql" && break
    fi
    if [[ $OUTCOME == complete && $SQL_STATE == 22* ]]; then
      fail_permanent invalid_result "handler ${MSG[handler]} returned something that is not JSON: $SQL_ERROR"
      continue
    fi
    if [[ $SQL_STATE == WF* ]]; then
      dead_letter "$CUR_MSG_ID" "weft refused the report of step ${MSG[step_id]} attempt ${MSG[attempt]}: $SQL_STATE $SQL_ERROR"
      return 0
    fi
    log warn "could not report; retrying" step_id="${MSG[step_id]}" try="$try" sqlstate="$SQL_STATE" error="$SQL_ERROR"
    pause_ms $(( 100 << try ))
  done
  if [[ -z $SQL_OUT ]]; then
    STAT_ERRORS=$(( STAT_ERRORS + 1 ))
    log error "gave up reporting; the attempt fails as lease_expired when its lease runs out" step_id="${MSG[step_id]}"
    return 0
  fi
  local outcome reason step_state task_state
  IFS=$'\x1f' read -r outcome reason step_state task_state <<<"$SQL_OUT"
  case $outcome in
    applied | duplicate) if [[ $OUTCOME == complete ]]; then STAT_COMPLETED=$(( STAT_COMPLETED + 1 )); else STAT_FAILED=$(( STAT_FAILED + 1 )); fi ;;
    *) STAT_REJECTED=$(( STAT_REJECTED + 1 )) ;;
  esac
  log info "step reported" step="${MSG[step]}" step_id="${MSG[step_id]}" attempt="${MSG[attempt]}" \
    sent="$OUTCOME" outcome="$outcome" reason="$reason" step_state="$step_state" task_state="$task_state"
}

# process_message <msg_id> <read_ct> <fields>: one message, from its fields to the report.
process_message() {
  local msg_id=$1 reads=$2 handler left_ms
  CUR_MSG_ID=$msg_id OUTCOME="" RESULT="" ERR_CODE="" ERR_NAME="" ERR_MESSAGE="" RETRYABLE=true ABANDON_REASON=""
  decode_fields "$3"
  if [[ -n ${MSG[problem]-} ]]; then
    dead_letter "$msg_id" "not a weft step message: ${MSG[problem]}"
    return 0
  fi
  handler=${MSG[handler]}
  log debug "step received" msg_id="$msg_id" read_ct="$reads" step="${MSG[step]}" handler="$handler" attempt="${MSG[attempt]}"
  RENEW_AT_MS=$(( READ_AT_MS + VT * 1000 / 3 ))
  DEADLINE_AT_MS=0
  left_ms=${MSG[deadline_ms_left]}
  if [[ -n $left_ms ]]; then DEADLINE_AT_MS=$(( READ_AT_MS + left_ms )); fi

  # Guards before any work: the lease (a third gone while earlier messages of the batch ran?
  # renew it, and learn whether the attempt is still wanted: an expired lease fails the attempt
  # as lease_expired), then the deadline.
  if ! keep_alive; then
    abandon
  elif deadline_passed; then
    fail_retryable timeout "attempt ${MSG[attempt]} passed its deadline before it started"
  elif [[ $handler =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] && declare -F "handle_$handler" >/dev/null; then
    "handle_$handler" || true   # the outcome is what it called (succeed, fail_…), not its status
  else
    fail_retryable handler_not_registered "no handler \"$handler\" is registered on worker $WORKER_ID"
  fi

  case $OUTCOME in
    complete | failed) report ;;
    abandoned)
      STAT_ABANDONED=$(( STAT_ABANDONED + 1 ))
      log info "step abandoned; no report" step_id="${MSG[step_id]}" attempt="${MSG[attempt]}" reason="$ABANDON_REASON"
      if [[ $ABANDON_REASON == shutting_down ]]; then release "$msg_id"; fi ;;
    *)
      fail_retryable handler_error "handler $handler ended without calling succeed, fail_retryable, fail_permanent or abandon"
      report ;;
  esac
}

# --- start, loop, stop ----------------------------------------------------------------------
parse_args() {
  while (( $# > 0 )); do
    case $1 in
      -h | --help) usage; exit 0 ;;
      --once) ONCE=1 ;;
      --max-idle-polls | --batch | --vt | --poll-interval-ms)
        if [[ $# -lt 2 || ! $2 =~ ^[0-9]{1,6}$ ]]; then echo "weft-worker: $1 needs a whole number, got \"${2-}\"." >&2; exit 2; fi
        case $1 in
          --max-idle-polls) MAX_IDLE_POLLS=$(( 10#$2 )) ;;
          --batch) BATCH=$(( 10#$2 )) ;;
          --vt) VT=$(( 10#$2 )) ;;
          --poll-interval-ms) POLL_MAX_MS=$(( 10#$2 )) ;;
        esac
        shift ;;
      --processor-id | --handlers)
        if [[ $# -lt 2 || -z $2 ]]; then echo "weft-worker: $1 needs a value." >&2; exit 2; fi
        if [[ $1 == --handlers ]]; then HANDLERS_FILE=$2; else WORKER_ID=$2; fi
        shift ;;
      -*) echo "weft-worker: unknown option $1 (see --help)." >&2; exit 2 ;;
      *)
        if [[ -n $NAMESPACE ]]; then echo "weft-worker: one namespace only, got \"$NAMESPACE\" and \"$1\"." >&2; exit 2; fi
        NAMESPACE=$1 ;;
    esac
    shift
  done
  if [[ -z $NAMESPACE ]]; then usage >&2; exit 2; fi
  if [[ -z $DATABASE_URL ]]; then echo "weft-worker: set DATABASE_URL to the weft database (postgres://user@host:port/db)." >&2; exit 2; fi
  if (( BATCH < 1 || VT < 1 )); then echo "weft-worker: --batch and --vt must be at least 1." >&2; exit 2; fi
  if [[ ! -r $HANDLERS_FILE ]]; then echo "weft-worker: cannot read the handlers file $HANDLERS_FILE." >&2; exit 2; fi
  if [[ ! -r $SQL_DIR/read-batch.sql ]]; then echo "weft-worker: the folder $SQL_DIR (the worker's SQL) is missing." >&2; exit 2; fi
}

# preflight: the server answers, schema weft is installed, the namespace exists (its queue).
preflight() {
  if ! run_sql <"$SQL_DIR/check-schema.sql"; then
    echo "weft-worker: cannot reach PostgreSQL: ${SQL_STATE:+$SQL_STATE }$SQL_ERROR" >&2
    exit 3
  fi
  if [[ $SQL_OUT != t ]]; then
    echo "weft-worker: schema weft is not installed in this database; run \`weft migrate\` first." >&2
    exit 4
  fi
  run_sql "ns=$NAMESPACE" <"$SQL_DIR/find-queue.sql" || { echo "weft-worker: $SQL_STATE $SQL_ERROR" >&2; exit 3; }
  if [[ -z $SQL_OUT ]]; then
    echo "weft-worker: namespace \"$NAMESPACE\" does not exist; register a workflow in it first (weft workflows apply)." >&2
    exit 2
  fi
  QUEUE=$SQL_OUT
}

on_signal() {
  if (( STOPPING )); then
    log warn "second SIG$1: exiting now; unreported messages return after their lease"
    if [[ $1 == INT ]]; then exit 130; else exit 143; fi
  fi
  STOPPING=1
  log info "SIG$1: stopping after the current step (a handler using keep_alive stops now and its message is released)"
}

main() {
  parse_args "$@"
  ERR_FILE=$(mktemp "${TMPDIR:-/tmp}/weft-worker.XXXXXX")
  trap 'rm -f "$ERR_FILE"' EXIT
  trap 'on_signal INT' INT
  trap 'on_signal TERM' TERM
  preflight
  # shellcheck source=handlers.sh
  source "$HANDLERS_FILE"
  log info "worker started" namespace="$NAMESPACE" queue="$QUEUE" batch="$BATCH" vt="$VT" handlers="$HANDLERS_FILE"

  local idle=0 failures=0 wait_ms=50 i
  while (( ! STOPPING )); do
    if ! read_batch; then
      # A transient error never ends the loop: log, back off (up to 10 s), go on.
      failures=$(( failures + 1 )) STAT_ERRORS=$(( STAT_ERRORS + 1 ))
      log error "poll failed; backing off" failures="$failures" sqlstate="$SQL_STATE" error="$SQL_ERROR"
      pause_ms $(( failures > 7 ? 10000 : 100 << failures ))
      continue
    fi
    failures=0
    now_ms
    READ_AT_MS=$NOW_MS
    if (( ${#BATCH_IDS[@]} == 0 )); then
      idle=$(( idle + 1 ))
      if (( ONCE || (MAX_IDLE_POLLS > 0 && idle >= MAX_IDLE_POLLS) )); then break; fi
      pause_ms "$wait_ms"   # idle: sleep longer each empty poll, up to --poll-interval-ms
      wait_ms=$(( wait_ms * 2 > POLL_MAX_MS ? POLL_MAX_MS : wait_ms * 2 ))
      continue
    fi
    idle=0 wait_ms=50
    for i in "${!BATCH_IDS[@]}"; do
      if (( STOPPING )); then
        release "${BATCH_IDS[@]:i}"   # not started: hand them back at once
        break
      fi
      process_message "${BATCH_IDS[i]}" "${BATCH_READS[i]}" "${BATCH_FIELDS[i]}"
    done
    if (( ONCE )); then break; fi
  done
  log info "worker stopped" completed="$STAT_COMPLETED" failed="$STAT_FAILED" rejected="$STAT_REJECTED" \
    dead_lettered="$STAT_DEAD" abandoned="$STAT_ABANDONED" errors="$STAT_ERRORS"
}

main "$@"
