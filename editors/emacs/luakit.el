;;; luakit-ls in Emacs 28+ with eglot: diagnostics (flymake), completion (C-M-i), hover (eldoc),
;;; go to definition (M-.), quick fixes (M-x eglot-code-action-quickfix), M-x luakit-emit and
;;; M-x luakit-dag.  Build scripts get their own mode, so other Lua files keep their server.
(require 'eglot)

(unless (fboundp 'lua-mode)  ; Emacs 28 has no Lua mode of its own (package-install lua-mode)
  (define-derived-mode lua-mode prog-mode "Lua"))
(define-derived-mode luakit-mode lua-mode "luakit"
  "Lua build scripts for luakit: `luakit-ls' with eglot.")
(add-to-list 'auto-mode-alist '("\\(?:\\`\\|/\\|\\.\\)build\\.lua\\'" . luakit-mode))

(add-to-list 'eglot-server-programs
             '((luakit-mode :language-id "lua")
               . ("luakit-ls" "--stdio" :initializationOptions (:timeout 2))))
;; (setq-default eglot-workspace-configuration '(:luakit (:buildArgs (:BASE "alpine:3.19"))))

(defvar luakit--warned nil)
(defun luakit-eglot-ensure ()
  "Start `luakit-ls' for this buffer, or say once that it is not installed."
  (cond ((executable-find "luakit-ls") (eglot-ensure))
        ((not luakit--warned)
         (setq luakit--warned t)
         (message "luakit-ls is not on PATH (pip install luakit): no luakit features"))))
(add-hook 'luakit-mode-hook #'luakit-eglot-ensure)

(defun luakit--execute (command &rest arguments)
  "The result of the server's COMMAND on this buffer's script, or a `user-error' saying why not."
  (let* ((server (or (eglot-current-server) (user-error "No luakit-ls here (M-x eglot)")))
         (uri (plist-get (eglot--TextDocumentIdentifier) :uri))
         (result (jsonrpc-request server :workspace/executeCommand
                                  (list :command command :arguments (vconcat (list uri) arguments)))))
    (unless (eq (plist-get result :ok) t)
      (user-error "%s" (mapconcat #'identity (plist-get result :problems) "\n")))
    result))

(defun luakit-emit (file)
  "Write the script's LLB Definition, the bytes `luakit build' writes, to FILE."
  (interactive
   (list (read-file-name "Write the Definition to: " nil nil nil
                         (concat (file-name-base buffer-file-name) ".llb"))))
  (let ((result (luakit--execute "luakit.emitDefinition" (expand-file-name file))))
    (message "luakit: wrote %s (%d ops)" (plist-get result :path) (plist-get result :ops))))

(defun luakit-dag ()
  "Show the build graph as DOT; draw it beside the script (build.svg) when Graphviz is installed."
  (interactive)
  (let* ((dot (plist-get (luakit--execute "luakit.showDag" "dot") :dot))
         (svg (concat (file-name-sans-extension buffer-file-name) ".svg")))
    (with-current-buffer (get-buffer-create "*luakit DAG*")
      (let ((inhibit-read-only t))
        (erase-buffer)
        (insert dot))
      (special-mode)
      (display-buffer (current-buffer)))
    (when (executable-find "dot")
      (with-temp-buffer
        (insert dot)
        (if (zerop (call-process-region (point-min) (point-max) "dot" t t nil "-Tsvg" "-o" svg))
            (message "luakit: DAG drawn in %s" svg)
          (message "dot: %s" (buffer-string)))))))
