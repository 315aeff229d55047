;;; emacs_driver.el --- drives a real Emacs set up as docs/editors.md says  -*- lexical-binding: t -*-
;;
;; For tests/lsp/test_emacs.py, which runs Emacs in a terminal (a pty):
;;   emacs -nw -q -l <the documented editors/emacs/luakit.el> -l emacs_driver.el
;; The documented set-up is the init; this file only does what a user would, typing keys into
;; Emacs's own command loop (`unread-command-events'), one step at a time from a timer, each step
;; waiting until what it waits for is in the editor, then writes what Emacs shows as JSON:
;;   LUAKIT_EMACS_SCRIPT  the build script to open (line 2 has `cwdd', a misspelled option)
;;   LUAKIT_EMACS_OUT     where to write the JSON
;;   LUAKIT_EMACS_MODE    "features", "missing" (no server on PATH: open two build scripts),
;;                        "quick_fix" (`cwdd' on its own line of a multi-line call) or "modules"
;;                        (the script requires lib/util.lua, which is edited beside it)

(require 'json)
(require 'subr-x)

(defvar luakit-test-script (getenv "LUAKIT_EMACS_SCRIPT"))
(defvar luakit-test-out (getenv "LUAKIT_EMACS_OUT"))
(defvar luakit-test-result nil "An alist of what the editor showed.")
(defvar luakit-test-steps nil "The steps still to run: (NAME ACTION DONE SECONDS).")
(defvar luakit-test-current nil "The running step and its deadline.")

(defun luakit-test-put (key value)
  (push (cons key value) luakit-test-result))

(defun luakit-test-type (&rest parts)
  "Type PARTS: a string is text, a vector is keys (from `kbd')."
  (setq unread-command-events
        (append unread-command-events
                ;; Text as characters: `listify-key-sequence' would read a string's
                ;; non-ASCII characters as meta keys.
                (apply #'append (mapcar (lambda (part)
                                          (if (stringp part) (string-to-list part) (append part nil)))
                                        parts)))))

(defun luakit-test-buffer ()
  (find-buffer-visiting luakit-test-script))

(defun luakit-test-messages ()
  (with-current-buffer (messages-buffer) (buffer-substring-no-properties (point-min) (point-max))))

(defun luakit-test-line (n)
  (with-current-buffer (luakit-test-buffer)
    (save-excursion
      (goto-char (point-min))
      (forward-line (1- n))
      (buffer-substring-no-properties (line-beginning-position) (line-end-position)))))

(defun luakit-test-diagnostics (&optional buffer)
  "Flymake's diagnostics of BUFFER (the script's by default): line (1-based), columns in
characters, text, type."
  (with-current-buffer (or buffer (luakit-test-buffer))
    (mapcar (lambda (d)
              (let ((beg (flymake-diagnostic-beg d)) (end (flymake-diagnostic-end d)))
                (save-excursion
                  (goto-char beg)
                  `((line . ,(line-number-at-pos))
                    (column . ,(- beg (line-beginning-position)))
                    (end_column . ,(- end (line-beginning-position)))
                    (text . ,(flymake-diagnostic-text d))
                    (type . ,(symbol-name (flymake-diagnostic-type d)))))))
            (flymake-diagnostics))))

(defun luakit-test-eldoc-window ()
  "The window that shows eldoc's documentation buffer, if one does."
  (seq-find (lambda (w) (string-match-p "eldoc" (buffer-name (window-buffer w)))) (window-list)))

(defun luakit-test-finish ()
  (luakit-test-put 'messages (luakit-test-messages))
  (let ((coding-system-for-write 'utf-8))
    (with-temp-file luakit-test-out
      (insert (json-encode luakit-test-result))))
  (kill-emacs 0))

(defun luakit-test-tick ()
  "Run the next step, or check whether the running one is done."
  (condition-case err
      (cond
       ((null luakit-test-current)
        (if (null luakit-test-steps)
            (luakit-test-finish)
          (let ((step (pop luakit-test-steps)))
            (setq luakit-test-current (cons step (+ (float-time) (nth 3 step))))
            (funcall (nth 1 step)))))
       ((or (funcall (nth 2 (car luakit-test-current)))
            (> (float-time) (cdr luakit-test-current)))
        (luakit-test-put (intern (format "%s_done" (nth 0 (car luakit-test-current))))
                         (if (funcall (nth 2 (car luakit-test-current))) t :json-false))
        (setq luakit-test-current nil)))
    (error (luakit-test-put 'error (format "%S" err))
           (luakit-test-finish))))

(defmacro luakit-test-step (name seconds action done)
  `(list ',name (lambda () ,action) (lambda () ,done) ,seconds))

(defvar luakit-test-completion-line
  "local note2 = \"é日本😀\" local y = bk.ima"
  "A line typed at the end of the script, completed with C-M-i: multi-byte text before the cursor.")

(defun luakit-test-features ()
  (list
   (luakit-test-step open 30
     (luakit-test-type (kbd "C-x C-f") luakit-test-script (kbd "RET"))
     (and (luakit-test-buffer)
          (with-current-buffer (luakit-test-buffer) (eglot-current-server))))
   ;; Flymake starts checking after the next command, as for a user who then moves the cursor.
   (luakit-test-step diagnostics 20
     (progn
       (luakit-test-put 'mode (with-current-buffer (luakit-test-buffer) (symbol-name major-mode)))
       (luakit-test-type (kbd "M-<")))
     (luakit-test-diagnostics))
   (luakit-test-step diagnostics_read 1
     (luakit-test-put 'diagnostics (luakit-test-diagnostics))
     t)
   ;; The quick fix: point on `cwdd', M-x eglot-code-actions, RET takes the one offered.
   (luakit-test-step code_action 20
     (luakit-test-type (kbd "M-<") (kbd "C-s") "cwdd" (kbd "RET") (kbd "M-b")
                       (kbd "M-x") "eglot-code-actions" (kbd "RET") (kbd "RET"))
     (not (string-match-p "cwdd" (luakit-test-line 2))))
   (luakit-test-step save 20
     (progn
       (luakit-test-put 'fixed_line (luakit-test-line 2))
       (luakit-test-type (kbd "C-x C-s")))
     (with-current-buffer (luakit-test-buffer)
       (and (not (buffer-modified-p)) (null (flymake-diagnostics)))))
   (luakit-test-step emit 20
     (luakit-test-type (kbd "M-x") "luakit-emit" (kbd "RET") (kbd "C-a C-k")
                       (expand-file-name "emitted.llb" (file-name-directory luakit-test-script))
                       (kbd "RET"))
     (string-match-p "luakit: wrote" (luakit-test-messages)))
   (luakit-test-step dag 20
     (luakit-test-type (kbd "M-x") "luakit-dag" (kbd "RET"))
     (and (get-buffer "*luakit DAG*") (string-match-p "DAG drawn in" (luakit-test-messages))))
   (luakit-test-step dag_shown 1
     (let ((dag (get-buffer "*luakit DAG*")))
       (luakit-test-put 'dag (with-current-buffer dag (buffer-string)))
       (luakit-test-put 'dag_visible (if (get-buffer-window dag) t :json-false)))
     t)
   ;; Hover: point in `bk.im|age', eldoc shows the server's hover in the echo area, and
   ;; M-x eldoc-doc-buffer shows it whole in a window.
   (luakit-test-step hover 20
     (luakit-test-type (kbd "C-x 1") (kbd "M-<") (kbd "C-s") "bk.im" (kbd "RET"))
     (let ((docs (get-buffer " *eldoc*")))  ; eldoc 1.11's buffer for the docs at point
       (and docs (string-match-p "bk\\.image" (with-current-buffer docs (buffer-string))))))
   (luakit-test-step hover_shown 10
     (luakit-test-type (kbd "M-x") "eldoc-doc-buffer" (kbd "RET"))
     (luakit-test-eldoc-window))
   (luakit-test-step hover_read 1
     (progn
       (luakit-test-put 'hover (with-current-buffer (window-buffer (luakit-test-eldoc-window))
                                 (buffer-substring-no-properties (point-min) (point-max))))
       (luakit-test-type (kbd "C-x 1")))
     t)
   ;; Completion: a new last line, then C-M-i (completion-at-point) completes the one match.
   (luakit-test-step completion 20
     (luakit-test-type (kbd "M->") luakit-test-completion-line (kbd "C-M-i"))
     (string-match-p "bk\\.image" (luakit-test-line 4)))
   (luakit-test-step completion_read 1
     (luakit-test-put 'completed_line (luakit-test-line 4))
     t)))

(defun luakit-test-quick-fix ()
  (list
   (luakit-test-step open 30
     (luakit-test-type (kbd "C-x C-f") luakit-test-script (kbd "RET"))
     (and (luakit-test-buffer)
          (with-current-buffer (luakit-test-buffer) (eglot-current-server))))
   (luakit-test-step diagnostics 20
     (luakit-test-type (kbd "M-<"))
     (luakit-test-diagnostics))
   ;; Point at the start of the `cwdd' line (line 3, not on the key, not on the `run(' line),
   ;; M-x eglot-code-actions, RET takes the one offered.
   (luakit-test-step code_action 20
     (progn
       (luakit-test-put 'diagnostics (luakit-test-diagnostics))
       (luakit-test-type (kbd "M-<") (kbd "C-n") (kbd "C-n")
                         (kbd "M-x") "eglot-code-actions" (kbd "RET") (kbd "RET")))
     (not (string-match-p "cwdd" (luakit-test-line 3))))
   (luakit-test-step cleared 20
     (luakit-test-put 'lines (with-current-buffer (luakit-test-buffer) (buffer-string)))
     (null (luakit-test-diagnostics)))))

(defvar luakit-test-evaluated nil "The URIs of the server's `luakit/evaluated' notifications.")
(cl-defmethod eglot-handle-notification (_server (_method (eql luakit/evaluated)) &key uri &allow-other-keys)
  (push uri luakit-test-evaluated))

(defun luakit-test-modules ()
  (let* ((module (expand-file-name "lib/util.lua" (file-name-directory luakit-test-script)))
         (lib (lambda () (find-buffer-visiting module)))
         (script-shows (lambda () (luakit-test-diagnostics)))
         (module-shows (lambda () (luakit-test-diagnostics (funcall lib))))
         (shown (lambda () `((script . ,(funcall script-shows)) (module . ,(funcall module-shows))))))
    (list
     ;; Open, and evaluated once (`luakit/evaluated'): from then on the server knows that the
     ;; script reads the module, and evaluates it again for the module's edits.
     (luakit-test-step open 30
       (luakit-test-type (kbd "C-x C-f") luakit-test-script (kbd "RET"))
       (member (concat "file://" luakit-test-script) luakit-test-evaluated))
     ;; The module beside it (C-x 4 f), in luakit-mode as docs/editors.md says for modules.
     (luakit-test-step open_module 30
       (luakit-test-type (kbd "C-x 4 f") module (kbd "RET") (kbd "M-x") "luakit-mode" (kbd "RET"))
       (and (funcall lib)
            (with-current-buffer (funcall lib)
              (and (bound-and-true-p eglot--managed-mode)  ; the server has it (didOpen sent)
                   (eq (eglot-current-server)
                       (with-current-buffer (luakit-test-buffer) (eglot-current-server)))))))
     ;; An unsaved edit: `s:mkfile' becomes `s:XXmkfile'; both buffers show the mistake.
     (luakit-test-step unsaved 20
       (luakit-test-type (kbd "M-<") (kbd "C-s") "s:mkfile" (kbd "RET") (kbd "M-b") "XX")
       (and (funcall script-shows) (funcall module-shows)))
     (luakit-test-step unsaved_read 1
       (progn
         (luakit-test-put 'unsaved_shown (funcall shown))
         (luakit-test-put 'unsaved_modified (if (buffer-modified-p (funcall lib)) t :json-false))
         (luakit-test-put 'unsaved_disk (with-temp-buffer (insert-file-contents module) (buffer-string))))
       t)
     ;; Undone (C-/), still unsaved: both clear.
     (luakit-test-step reverted 20
       (luakit-test-type (kbd "C-/"))
       (and (null (funcall script-shows)) (null (funcall module-shows))))
     ;; Broken and saved; then fixed and saved: build.lua's diagnostic goes, build.lua untouched.
     (luakit-test-step broken 20
       (progn
         (luakit-test-put 'script_tick (with-current-buffer (luakit-test-buffer) (buffer-chars-modified-tick)))
         (luakit-test-type (kbd "M-<") (kbd "C-s") "s:mkfile" (kbd "RET") (kbd "M-b") "XX" (kbd "C-x C-s")))
       (and (funcall script-shows) (not (buffer-modified-p (funcall lib)))))
     (luakit-test-step fixed 20
       (progn
         (luakit-test-put 'broken_shown (funcall shown))
         (luakit-test-type (kbd "DEL") (kbd "DEL") (kbd "C-x C-s")))
       (and (null (funcall script-shows)) (not (buffer-modified-p (funcall lib)))))
     (luakit-test-step fixed_read 1
       (with-current-buffer (luakit-test-buffer)
         (luakit-test-put 'fixed_shown (funcall shown))
         (luakit-test-put 'script_untouched
                          (if (and (not (buffer-modified-p))
                                   (equal (buffer-chars-modified-tick) (cdr (assq 'script_tick luakit-test-result))))
                              t :json-false)))
       t))))

(defun luakit-test-missing ()
  (let ((other (expand-file-name "other.build.lua" (file-name-directory luakit-test-script))))
    (list
     (luakit-test-step open 10
       (luakit-test-type (kbd "C-x C-f") luakit-test-script (kbd "RET")
                         (kbd "C-x C-f") other (kbd "RET"))
       (find-buffer-visiting other))
     (luakit-test-step settle 1.5 nil nil)  ; anything the editor would report has come
     (luakit-test-step read 1
       (progn
         (luakit-test-put 'mode (with-current-buffer (luakit-test-buffer) (symbol-name major-mode)))
         (luakit-test-put 'server (with-current-buffer (luakit-test-buffer) (if (eglot-current-server) t :json-false))))
       t))))

(setq luakit-test-steps
      (pcase (getenv "LUAKIT_EMACS_MODE")
        ("missing" (luakit-test-missing))
        ("quick_fix" (luakit-test-quick-fix))
        ("modules" (luakit-test-modules))
        (_ (luakit-test-features))))
(run-with-timer 0.5 0.05 #'luakit-test-tick)
(run-with-timer 150 nil (lambda () (luakit-test-put 'error "the driver ran out of time") (luakit-test-finish)))
