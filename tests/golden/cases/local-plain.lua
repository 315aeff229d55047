bk.export(bk.scratch():copy(bk.local_("context"), ".", "/src"))
