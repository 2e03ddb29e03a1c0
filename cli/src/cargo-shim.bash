
# `cargo microservice ...`: cargo's own completion hands a subcommand it does not know to
# `cargo-<name>`'s completion only with bash-completion 2.12 or newer (Debian bookworm has
# 2.11), so this completes `cargo microservice` itself and hands every other cargo command to
# whatever completed cargo before.
_cargo_microservice_via_cargo() {
    if [[ ${COMP_WORDS[1]-} == microservice ]]; then
        local -a COMP_WORDS=(cargo-microservice "${COMP_WORDS[@]:2}")
        local COMP_CWORD=$((COMP_CWORD - 1))
        local completion
        completion=$(complete -p cargo-microservice | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
        "$completion" cargo-microservice "${COMP_WORDS[COMP_CWORD]}" "${COMP_WORDS[COMP_CWORD - 1]}"
        return
    fi
    if [[ -z ${_cargo_microservice_cargo_completion-} ]] && declare -F _completion_loader >/dev/null; then
        # bash-completion loads cargo's own completion on first use: load it now, keep it as
        # the fallback, and put this one back in front of it.
        _completion_loader cargo
        _cargo_microservice_cargo_completion=$(complete -p cargo 2>/dev/null | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
        if [[ $_cargo_microservice_cargo_completion == _cargo_microservice_via_cargo ]]; then
            _cargo_microservice_cargo_completion=
        fi
        complete -F _cargo_microservice_via_cargo -o bashdefault -o default cargo
    fi
    if [[ -n ${_cargo_microservice_cargo_completion-} ]]; then
        "$_cargo_microservice_cargo_completion" "$@"
    fi
}
_cargo_microservice_cargo_completion=$(complete -p cargo 2>/dev/null | sed -n 's/.* -F \([^ ]*\) .*/\1/p')
if [[ $_cargo_microservice_cargo_completion == _cargo_microservice_via_cargo ]]; then
    _cargo_microservice_cargo_completion=
fi
complete -F _cargo_microservice_via_cargo -o bashdefault -o default cargo
