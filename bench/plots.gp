# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's plots, drawn from the data lockbench writes with -o DIR:
#   gnuplot -e "dir='DIR'" bench/plots.gp
# growth.png (cost against locks held), namelen.png (cost and memory by
# name length), handoff.png (distribution of hand-off latency).

set terminal pngcairo size 900,560 font ",11"
set grid
set key top left

set output dir."/growth.png"
set title "by-name LOCK+UNLOCK of random names against other locks held"
set xlabel "other locks held by the session"
set ylabel "ns per LOCK+UNLOCK"
set y2label "LOCK+UNLOCK / two empty ioctls"
set key bottom center opaque box
set logscale x
set ytics nomirror
set y2tics
set yrange [0:*]
set y2range [0:*]
plot dir."/growth.dat" using 1:2 with linespoints lw 2 pt 7 title "ns per LOCK+UNLOCK", \
     "" using 1:4 axes x1y2 with linespoints lw 2 pt 5 dt 2 title "relative to two empty ioctls measured alongside"
unset logscale x

set output dir."/namelen.png"
set title "by-name LOCK+UNLOCK and memory per held lock by name length"
set key top left noopaque nobox
set xlabel "name length, bytes"
set xrange [0:220]
set ylabel "ns per LOCK+UNLOCK (median, bars: fastest and slowest round)"
set y2label "bytes per held lock (slab + vmalloc deltas)"
plot dir."/namelen.dat" using 1:2:3:4 with yerrorlines lw 2 pt 7 title "ns per LOCK+UNLOCK", \
     "" using 1:5 axes x1y2 with linespoints lw 2 pt 5 dt 2 title "bytes per held lock"

set output dir."/handoff.png"
set title "hand-off between two processes: latency distribution"
set xlabel "ns from the holder's unlock to the waiter's return with the lock"
set ylabel "percentile"
set xrange [*:*]
unset y2label
unset y2tics
set ytics mirror
set logscale x
set yrange [0:100]
set key bottom right
plot dir."/handoff.dat" using 2:1 with lines lw 2 title "lockdev", \
     "" using 3:1 with lines lw 2 title "flock", \
     "" using 4:1 with lines lw 2 dt 2 title "futex mutex (the floor)"
