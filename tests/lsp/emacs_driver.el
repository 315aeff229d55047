;;; emacs_driver.el --- drives a real Emacs set up as docs/editors.md says  -*- lexical-binding: t -*-
;;
;; For tests/lsp/test_emacs.py, which runs Emacs in a terminal (a pty):
;;   emacs -nw -q -l <the documented editors/emacs/luakit.el> -l emacs_driver.el
;; The documented set-up is the init; this file only does what a user would, typing keys into
;; Emacs's own command loop (`unread-command-events'), one step at a time from a timer, each step
;; waiting until what it waits for is in the editor, then writes what Emacs shows as JSON:
;;   LUAKIT_EMACS_SCRIPT  the build script to open (line 2 has `cwdd', a misspelled option)
;;   LUAKIT_EMACS_OUT     where to write the JSON
;;   LUAKIT_EMACS_MODE    "features", or "missing" (no server on PATH: open two build scripts)

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

(defun luakit-test-diagnostics ()
  "Flymake's diagnostics of the script: line (1-based), columns in characters, text, type."
  (with-current-buffer (luakit-test-buffer)
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
      (if (equal (getenv "LUAKIT_EMACS_MODE") "missing") (luakit-test-missing) (luakit-test-features)))
(run-with-timer 0.5 0.05 #'luakit-test-tick)
(run-with-timer 150 nil (lambda () (luakit-test-put 'error "the driver ran out of time") (luakit-test-finish)))
