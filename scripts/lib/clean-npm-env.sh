# Sourced by the install scripts. `npm start` / `npm test` run them under npm, which exports its own settings
# (npm_config_user_agent naming the calling node, npm_config_nodedir, npm_package_*, ...) and puts the project's
# node_modules/.bin on PATH. An inner npm takes those as its own configuration: code-server's postinstall then
# reads "node/v20" from the inherited user agent and refuses to install under node 24. So every inner npm runs
# in the environment a user typing it would have: npm's variables removed, PATH without npm's additions.
# (~/.npmrc and the global npmrc are still read by the inner npm, so registry, proxy and CA settings stay.)

# Prints PATH without the entries npm run prepends (node_modules/.bin folders and npm's node-gyp-bin).
path_without_npm_entries() {
  local entry kept=()
  local IFS=:
  for entry in $PATH; do
    case "$entry" in
      */node_modules/.bin | */@npmcli/run-script/lib/node-gyp-bin) ;;
      *) kept+=("$entry") ;;
    esac
  done
  printf '%s' "${kept[*]}"
}

# clean_env COMMAND ARGS...: runs COMMAND without the calling npm's environment.
clean_env() {
  local name unset=()
  for name in $(compgen -e); do
    case "$name" in
      npm_* | INIT_CWD | NODE | COLOR) unset+=(-u "$name") ;;
    esac
  done
  env "${unset[@]}" PATH="$(path_without_npm_entries)" "$@"
}
