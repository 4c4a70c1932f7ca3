#!/usr/bin/env bash
# Installs the Debian packages the interop tests talk to: tshark/tcpdump (pcap
# readers and decoders), python3-scapy (a second packet decoder/generator),
# Postfix's smtp-source/smtp-sink, swaks (with Net::SSLeay for --tls), openssl
# (test certificates), and iproute2 for network namespaces; for the TAP interop
# suite: iputils-ping, curl, python3 (kernel-side peers, node-gyp) and a C
# toolchain (make, g++) so `npm ci` builds @netlayers/netdev-tap's addon.
set -euo pipefail
export DEBIAN_FRONTEND=noninteractive
SUDO=""
if [ "$(id -u)" != "0" ]; then SUDO="sudo"; fi
need=()
command -v tshark >/dev/null || need+=(tshark)
command -v tcpdump >/dev/null || need+=(tcpdump)
command -v swaks >/dev/null || need+=(swaks)
command -v smtp-sink >/dev/null && command -v smtp-source >/dev/null || [ -x /usr/sbin/smtp-sink ] || need+=(postfix)
/usr/bin/python3 -c 'import scapy' 2>/dev/null || need+=(python3-scapy)
command -v ip >/dev/null || need+=(iproute2)
/usr/bin/perl -MNet::SSLeay -e1 2>/dev/null || need+=(libnet-ssleay-perl libio-socket-ssl-perl) # swaks --tls
command -v openssl >/dev/null || need+=(openssl)
command -v ping >/dev/null || need+=(iputils-ping)
command -v curl >/dev/null || need+=(curl)
command -v python3 >/dev/null || need+=(python3)
command -v make >/dev/null || need+=(make)
command -v g++ >/dev/null && command -v gcc >/dev/null || need+=(g++)
if [ ${#need[@]} -gt 0 ]; then
  echo "wireshark-common wireshark-common/install-setuid boolean false" | $SUDO debconf-set-selections
  echo "postfix postfix/main_mailer_type select No configuration" | $SUDO debconf-set-selections
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
