# ncu_table.awk - per-kernel table of an `ncu --csv --page raw` dump with the
# metrics gpu__time_duration.sum, dram__bytes_read.sum, dram__bytes_write.sum:
# launches, mean time, DRAM bytes moved, the time those bytes take at bw GB/s,
# the ratio of the two and the kernel's share of the time; the second line is
# the launches and kernel time in all.
#   awk -v bw=4300 -f bench/ncu_table.awk DUMP.csv
function csv(line, a,    n, i, c, f, q) {
    n = 0; f = ""; q = 0
    for (i = 1; i <= length(line); i++) {
        c = substr(line, i, 1)
        if (q) { if (c == "\"") q = 0; else f = f c }
        else if (c == "\"") q = 1
        else if (c == ",") { a[++n] = f; f = "" }
        else f = f c
    }
    a[++n] = f
    return n
}
function num(s) { gsub(/,/, "", s); return s + 0 }
function scale(u) {
    return u == "Kbyte" ? 1e3 : u == "Mbyte" ? 1e6 : u == "Gbyte" ? 1e9 : u == "usecond" ? 1e3 : u == "msecond" ? 1e6 : 1
}
!/^"/ { next }
hdr == 0 { n = csv($0, h); for (i = 1; i <= n; i++) col[h[i]] = i; hdr = 1; next }
hdr == 1 { csv($0, u); ut = scale(u[col["gpu__time_duration.sum"]]); ur = scale(u[col["dram__bytes_read.sum"]])
           uw = scale(u[col["dram__bytes_write.sum"]]); hdr = 2; next }
{
    csv($0, a)
    k = a[col["Kernel Name"]]; sub(/\(.*/, "", k); sub(/^void /, "", k); sub(/<.*/, "", k); sub(/.*::/, "", k)
    if (!(k in cnt)) names[++nk] = k
    cnt[k]++; t[k] += num(a[col["gpu__time_duration.sum"]]) * ut
    b[k] += num(a[col["dram__bytes_read.sum"]]) * ur + num(a[col["dram__bytes_write.sum"]]) * uw
    tot += num(a[col["gpu__time_duration.sum"]]) * ut
    nl++
}
END {
    if (!bw) bw = 4300
    printf "%-34s %5s %9s %9s %9s %6s %6s\n", "kernel", "calls", "mean us", "MB", "us at BW", "ratio", "share"
    printf "%-34s %5d %9.1f us of kernel time in all\n", "(all launches)", nl, tot / 1e3
    for (i = 1; i <= nk; i++) {
        k = names[i]; us = t[k] / cnt[k] / 1e3; mb = b[k] / cnt[k] / 1e6; tb = mb / bw * 1e3
        printf "%-34s %5d %9.1f %9.2f %9.1f %6.1f %5.1f%%\n", substr(k, 1, 34), cnt[k], us, mb, tb, (tb > 0 ? us / tb : 0),
            100 * t[k] / tot
    }
}
