# shellcheck shell=bash
# handlers.sh — the step handlers of the acceptance scenarios (../../../shared/scenarios/README.md),
# in bash. Sourced by weft-worker.sh; replace it with your own file (--handlers FILE).
#
# The contract, for any handler:
#   - A step whose message says "handler": "square" runs the function handle_square.
#   - The message is in the associative array MSG: MSG[context.n], MSG[parents.left],
#     MSG[args.failures] (one key per member of context, parents and args; strings as text,
#     other JSON as JSON text), MSG[attempt], MSG[max_attempts], MSG[step], MSG[task_id],
#     MSG[step_id], MSG[checkpoint] (JSON text, empty when none), MSG[kind] (step or
#     compensation) and, for a compensation step, MSG[compensates.step] and
#     MSG[compensates.result] (the step it undoes and that step's result, JSON text).
#   - It ends by calling exactly one of:
#       succeed <json>                    the result (JSON text: 42, "text", {"a": 1}…)
#       fail_retryable <code> <message>   retried per the step's retry policy
#       fail_permanent <code> <message>   the step fails for good (retryable = false)
#       abandon                           stop without reporting (keep_alive said so)
#   - Long work is done in slices; between slices call `keep_alive || { abandon; return; }`
#     (it heartbeats every third of the lease and says when to stop) and check
#     `deadline_passed`. Never `exit`. The function's return status is ignored.
#
# Numbers are bash integers, kept within ±(2^53 − 1) so that every JSON client (JavaScript
# included) reads the results exactly; anything else fails the step permanently.

MAX_SAFE_INTEGER=9007199254740991

# as_integer <what> <value>: sets INT when value is a JSON integer within ±MAX_SAFE_INTEGER;
# otherwise fails the step permanently (code bad_input) and returns 1.
as_integer() {
  if [[ $2 =~ ^-?[0-9]{1,16}$ ]] && (( 10#${2#-} <= MAX_SAFE_INTEGER )); then
    INT=$(( 10#${2#-} ))
    if [[ $2 == -* ]]; then INT=$(( -INT )); fi
    return 0
  fi
  fail_permanent bad_input "step ${MSG[step]}: $1 must be an integer within ±$MAX_SAFE_INTEGER, got '${2}'"
  return 1
}

# parent_keys: sets PARENTS to the MSG keys of the step's parents (parents.<name>).
parent_keys() {
  local key
  PARENTS=()
  for key in "${!MSG[@]}"; do
    if [[ $key == parents.* ]]; then PARENTS+=("$key"); fi
  done
}

# input_x: sets X to the step's input: its only parent's result; with no parents, context.n.
input_x() {
  parent_keys
  case ${#PARENTS[@]} in
    0) as_integer context.n "${MSG[context.n]-}" || return 1 ;;
    1) as_integer "the result of ${PARENTS[0]#parents.}" "${MSG[${PARENTS[0]}]}" || return 1 ;;
    *) fail_permanent bad_input "step ${MSG[step]} has ${#PARENTS[@]} parents; its handler takes one input"; return 1 ;;
  esac
  X=$INT
}

# succeed_in_range <n>: succeed with n, or fail permanently when it is not a safe integer.
succeed_in_range() {
  if (( $1 > MAX_SAFE_INTEGER || $1 < -MAX_SAFE_INTEGER )); then
    fail_permanent out_of_range "step ${MSG[step]}: the result $1 is beyond ±$MAX_SAFE_INTEGER"
  else
    succeed "$1"
  fi
}

# multiply <a> <b>: sets PRODUCT, or fails permanently when it would leave the safe range.
multiply() {
  local a=${1#-} b=${2#-}
  if (( a != 0 && b > MAX_SAFE_INTEGER / a )); then
    fail_permanent out_of_range "step ${MSG[step]}: $1 × $2 is beyond ±$MAX_SAFE_INTEGER"
    return 1
  fi
  PRODUCT=$(( $1 * $2 ))
}

handle_square() {
  input_x || return 0
  multiply "$X" "$X" || return 0
  succeed "$PRODUCT"
}

handle_increment() {
  input_x || return 0
  succeed_in_range $(( X + 1 ))
}

handle_double() {
  input_x || return 0
  succeed_in_range $(( X * 2 ))
}

handle_sum_parents() {
  local key sum=0
  parent_keys
  for key in "${PARENTS[@]}"; do
    as_integer "the result of ${key#parents.}" "${MSG[$key]}" || return 0
    sum=$(( sum + INT ))
  done
  succeed_in_range "$sum"
}

handle_multiply_parents() {
  local key product=1
  parent_keys
  for key in "${PARENTS[@]}"; do
    as_integer "the result of ${key#parents.}" "${MSG[$key]}" || return 0
    multiply "$product" "$INT" || return 0
    product=$PRODUCT
  done
  succeed "$product"
}

# Fails (retryably) on its first args.failures attempts, then returns x. The attempt number
# comes from the message: a redelivered message carries the same attempt.
handle_fail_then_succeed() {
  local failures=0 attempt=${MSG[attempt]}
  if [[ -n ${MSG[args.failures]-} ]]; then as_integer args.failures "${MSG[args.failures]}" || return 0; failures=$INT; fi
  if (( attempt <= failures )); then
    fail_retryable planned_failure "planned failure ${MSG[attempt]} of $failures"
    return 0
  fi
  input_x || return 0
  succeed "$X"
}

handle_fail_permanently() {
  local reason=${MSG[args.reason]:-unspecified}
  fail_permanent "${MSG[args.reason]:-permanent}" "permanent failure: $reason"
}

# Waits args.ms milliseconds in slices of at most 200 ms, heartbeating as it goes; stops early
# when weft says carry_on = false (task cancelled…) or the worker shuts down, and fails as a
# timeout when the attempt's deadline passes first. Then returns x.
handle_sleep() {
  local ms=0 until_ms left=0
  input_x || return 0
  if [[ -n ${MSG[args.ms]-} ]]; then as_integer args.ms "${MSG[args.ms]}" || return 0; ms=$INT; fi
  now_ms
  until_ms=$(( NOW_MS + ms )) left=$ms
  while :; do
    keep_alive $(( ms > 0 ? 100 - 100 * left / ms : 100 )) "sleeping ${ms} ms" || { abandon; return 0; }
    if deadline_passed; then
      fail_retryable timeout "attempt ${MSG[attempt]} passed its deadline"
      return 0
    fi
    left=$(( until_ms - NOW_MS ))
    if (( left <= 0 )); then break; fi
    pause_ms $(( left < 200 ? left : 200 ))
  done
  succeed "$X"
}

# Compensation (saga undo): records that its step was compensated (in the log; the engine keeps
# the order in weft.steps) and returns null.
handle_undo() {
  log info "compensated" step="${MSG[compensates.step]:-${MSG[step]}}" task_id="${MSG[task_id]}" \
    result_undone="${MSG[compensates.result]-}"
  succeed null
}
