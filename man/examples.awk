# SPDX-License-Identifier: GPL-2.0
#
# Print the C program of a man page's EXAMPLES section: its .EX/.EE blocks
# in order, with the groff escapes they use turned back into C (make
# check-man compiles it).
/^\.SH / {
	examples = ($0 ~ /^\.SH "?EXAMPLES?"?[[:space:]]*$/)
	code = 0
	next
}
examples && /^\.EX/ { code = 1; next }
examples && /^\.EE/ { code = 0; next }
examples && code {
	gsub(/\\-/, "-")
	gsub(/\\&/, "")
	gsub(/\\\(aq/, "'")
	gsub(/\\\(dq/, "\"")
	gsub(/\\f[BIRP]/, "")
	gsub(/\\e/, "\\")
	print
}
