exec > "$WB_OUT/py.log" 2>&1
u() { cut -d' ' -f1 /proc/uptime; }
t=$(u); for i in 1 2 3 4 5; do /usr/bin/python3 -c pass; done; echo "python3 -c pass x5: $t -> $(u)"
t=$(u); for i in 1 2 3 4 5; do /usr/bin/python3 -S -c pass; done; echo "python3 -S x5: $t -> $(u)"
t=$(u); for i in 1 2 3 4 5; do /usr/bin/python3 "$WB_KSFT/rdma/ulp_io.py" --help >/dev/null; done; echo "ulp_io --help x5: $t -> $(u)"
t=$(u); for i in 1 2 3 4 5; do /usr/bin/python3 -S "$WB_KSFT/rdma/ulp_io.py" --help >/dev/null; done; echo "-S ulp_io --help x5: $t -> $(u)"
mkdir -p /tmp/py; cp -a /usr/lib/python3.11 /tmp/py/ 2>/dev/null; echo "copy done $(u)"
t=$(u); for i in 1 2 3 4 5; do /bin/true; done; echo "true x5: $t -> $(u)"
