#!/usr/bin/perl
# REGISTER with Net::SIP::Simple, answering the registrar's Digest challenge.
# usage: netsip_register.pl REGISTRAR_PORT DOMAIN USER PASSWORD [SECONDS]
# Prints "OK <expires>" and exits 0 when registered, "FAIL <why>" and exits 1 otherwise
# (a refusal, or no final answer within SECONDS, default 10).
use strict;
use warnings;
use IO::Socket::INET;
use Net::SIP;

my ($port, $domain, $user, $password, $seconds) = @ARGV;
die "usage: $0 REGISTRAR_PORT DOMAIN USER PASSWORD [SECONDS]\n" unless defined $password;
$seconds ||= 10;

my $sock = IO::Socket::INET->new(
    Proto     => 'udp',
    LocalAddr => '127.0.0.1',
    LocalPort => 0,
) or die "cannot open a UDP socket: $!\n";

my $ua = Net::SIP::Simple->new(
    leg       => $sock,
    registrar => "sip:127.0.0.1:$port",
    from      => "sip:$user\@$domain",
    auth      => [ $user, $password ],
);

my ($status, %info);
$ua->register(
    expires  => 60,
    cb_final => sub { ($status, %info) = @_ },
);
$ua->loop($seconds, \$status);

$| = 1;
if (defined $status && $status eq 'OK') {
    print "OK $info{expires}\n";
    exit 0;
}
my $why = !defined $status ? 'timeout'
    : defined $info{code} ? "code $info{code}"
    : defined $info{errno} ? "errno $info{errno}"
    : 'unknown';
print "FAIL $why\n";
exit 1;
