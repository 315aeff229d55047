-- Scratch is no op: an input of "nothing" (-1) wherever it is used.
local s = bk.scratch()
local file = s:mkfile("/hello", "hi\n")
local copied = bk.image("alpine"):copy(s, "/", "/empty")
bk.export(bk.merge(file, s, copied, bk.diff(s, file)))
