local hosts = "github.com ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl"
bk.export(bk.merge(
  bk.git("git@github.com:moby/buildkit.git", { ref = "main", known_ssh_hosts = hosts }),
  bk.git("ssh://git@example.com:2222/repo.git", { known_ssh_hosts = hosts, mount_ssh_sock = "deploy" })
))
