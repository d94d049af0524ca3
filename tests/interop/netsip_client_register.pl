#!/usr/bin/perl
# A Net::SIP::Simple user agent registers sip:USER@DOMAIN with a registrar over UDP, answering its
# Digest challenge with PASSWORD.
# usage: netsip_client_register.pl HOST PORT DOMAIN USER PASSWORD EXPIRES SECONDS
# Prints one line and exits 0 when registered: "OK <expires granted> <contact registered>";
# otherwise prints "FAIL <why>" (a final error code, or "timeout" after SECONDS) and exits 1.
use strict;
use warnings;
use IO::Socket::INET;
use Net::SIP;

my ($host, $port, $domain, $user, $password, $expires, $seconds) = @ARGV;
die "usage: $0 HOST PORT DOMAIN USER PASSWORD EXPIRES SECONDS\n" unless defined $seconds;

my $sock = IO::Socket::INET->new(Proto => 'udp', LocalAddr => '127.0.0.1', LocalPort => 0)
    or die "no UDP socket: $!\n";
my $contact = "sip:$user\@127.0.0.1:" . $sock->sockport;

my $ua = Net::SIP::Simple->new(
    leg       => $sock,
    registrar => "sip:$host:$port",
    from      => "sip:$user\@$domain",
    contact   => $contact,
    auth      => [ $user, $password ],
);

my ($result, %info);
$ua->register(expires => $expires, cb_final => sub { ($result, %info) = @_ });
$ua->loop($seconds, \$result);

$| = 1;
if (defined $result && $result eq 'OK') {
    print "OK $info{expires} $contact\n";
    exit 0;
}
print 'FAIL ', (!defined $result ? 'timeout' : defined $info{code} ? $info{code} : 'error'), "\n";
exit 1;
