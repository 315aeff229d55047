local a = bk.image("alpine:3.19")
local b = a:run("apk add git")
local c = a:mkdir("/c")
bk.export(bk.merge(bk.merge(a, b, c), bk.merge({ c, bk.scratch(), b }), bk.merge(b, b), bk.merge(bk.scratch(), c)))
