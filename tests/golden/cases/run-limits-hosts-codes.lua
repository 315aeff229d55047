local base = bk.image("alpine:3.19")
bk.export(bk.merge(
  base:run("exit 1", { valid_exit_codes = { 0, 1 } }),
  base:run("exit 2", { valid_exit_codes = "0..3" }),
  base:run("exit 3", { valid_exit_codes = 3 }),
  base:run("cat /etc/hosts", { extra_hosts = { db = "10.0.0.2", ["api.local"] = "::1" } }),
  base:run("ulimit -a", { ulimits = { nofile = { soft = 1024, hard = 4096 }, nproc = 512 } })
))
