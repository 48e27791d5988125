# Plots of the echo benchmark, from the files summarize.awk writes. Called by scripts/bench.sh:
#   gnuplot -e "data='DIR'; out='DIR'; suffix=''; format='svg'; targets='v1 v2 v3 v4 asio-example'" plot.gp
if (format eq 'svg') { set terminal svg size 800,500 dynamic font 'sans,12' } else { set terminal pngcairo size 800,500 font 'sans,10' }
set logscale x 2
set xlabel 'concurrent connections'
set key outside right
set grid
set style data linespoints

set output out.'/throughput'.suffix.'.'.format
set title 'Echo, 64-byte lines: round trips per second (median of rounds)'
set ylabel 'round trips/s'
set logscale y 10
plot for [t in targets] data.'/echo-'.t.'.dat' using 1:2 title t lw 2 pt 7

set output out.'/p99'.suffix.'.'.format
set title "Echo, 64-byte lines: p99 latency of the answers that came (median of rounds)\nv2 and v3 leave most clients unanswered: see 'served' in results.md"
set ylabel 'p99 latency (microseconds)'
plot for [t in targets] data.'/echo-'.t.'.dat' using 1:3 title t lw 2 pt 7
