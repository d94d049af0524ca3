#!/usr/bin/perl
# A Net::SIP registrar behind Net::SIP::Authorize on 127.0.0.1:PORT, for the interop tests.
# usage: netsip_registrar.pl PORT DOMAIN USER PASSWORD [SECONDS]
# Prints READY once the socket listens, then serves until SECONDS (default 30) have passed.
use strict;
use warnings;
use IO::Socket::INET;
use Net::SIP;

my ($port, $domain, $user, $password, $seconds) = @ARGV;
die "usage: $0 PORT DOMAIN USER PASSWORD [SECONDS]\n" unless defined $password;
$seconds ||= 30;

my $sock = IO::Socket::INET->new(
    Proto     => 'udp',
    LocalAddr => '127.0.0.1',
    LocalPort => $port,
) or die "cannot listen on 127.0.0.1:$port: $!\n";

my $ua = Net::SIP::Simple->new(leg => $sock);
$ua->create_registrar(
    domain         => $domain,
    auth_realm     => $domain,
    auth_user2pass => { $user => $password },
);

$| = 1;
print "READY\n";
$ua->loop($seconds);
exit 0;
