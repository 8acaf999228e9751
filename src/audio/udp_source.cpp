#include "audio/udp_source.hpp"

#include <arpa/inet.h>
#include <net/if.h>
#include <netinet/in.h>
#include <poll.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>

#include <fmt/format.h>

namespace periscope::audio {

Result<UdpSourceOptions> parse_listen_address(const std::string& text) {
  const auto colon = text.rfind(':');
  if (colon == std::string::npos) {
    return fail(ErrorCode::kInvalidArgument, "--listen {}: expected ADDRESS:PORT", text);
  }
  UdpSourceOptions options;
  options.address = text.substr(0, colon);
  unsigned port = 0;
  const std::string digits = text.substr(colon + 1);
  const auto [end, ec] = std::from_chars(digits.data(), digits.data() + digits.size(), port);
  if (ec != std::errc{} || end != digits.data() + digits.size() || port == 0 || port > 65535) {
    return fail(ErrorCode::kInvalidArgument, "--listen {}: bad port", text);
  }
  options.port = static_cast<std::uint16_t>(port);
  in_addr parsed{};
  if (::inet_pton(AF_INET, options.address.c_str(), &parsed) != 1) {
    return fail(ErrorCode::kInvalidArgument, "--listen {}: not an IPv4 address", text);
  }
  return options;
}

Result<UdpSource> UdpSource::open(const UdpSourceOptions& options) {
  UniqueFd fd(::socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0));
  if (!fd) return fail_errno(errno, "socket");
  const int one = 1;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  // A few hundred milliseconds of 192k/32/8 audio, so a busy moment does not drop packets.
  const int buffer_bytes = 4 * 1024 * 1024;
  ::setsockopt(fd.get(), SOL_SOCKET, SO_RCVBUF, &buffer_bytes, sizeof buffer_bytes);

  in_addr address{};
  if (::inet_pton(AF_INET, options.address.c_str(), &address) != 1) {
    return fail(ErrorCode::kInvalidArgument, "{} is not an IPv4 address", options.address);
  }
  sockaddr_in bind_to{};
  bind_to.sin_family = AF_INET;
  bind_to.sin_port = htons(options.port);
  // Multicast: bind the group itself, so unrelated traffic to the port is not received.
  bind_to.sin_addr = address;
  if (::bind(fd.get(), reinterpret_cast<const sockaddr*>(&bind_to), sizeof bind_to) != 0) {
    return fail_errno(errno, fmt::format("bind {}:{}", options.address, options.port));
  }
  if (options.multicast) {
    ip_mreqn join{};
    join.imr_multiaddr = address;
    join.imr_address.s_addr = htonl(INADDR_ANY);
    if (!options.interface.empty()) {
      join.imr_ifindex = static_cast<int>(::if_nametoindex(options.interface.c_str()));
      if (join.imr_ifindex == 0) {
        return fail(ErrorCode::kNotFound, "no network interface {}", options.interface);
      }
    }
    if (::setsockopt(fd.get(), IPPROTO_IP, IP_ADD_MEMBERSHIP, &join, sizeof join) != 0) {
      return fail_errno(errno, fmt::format("join {} on {}", options.address,
                                           options.interface.empty() ? "the default interface"
                                                                     : options.interface));
    }
  }
  sockaddr_in bound{};
  socklen_t length = sizeof bound;
  ::getsockname(fd.get(), reinterpret_cast<sockaddr*>(&bound), &length);
  return UdpSource(std::move(fd), ntohs(bound.sin_port));
}

Result<std::size_t> UdpSource::poll(
    Nanoseconds timeout,
    const std::function<void(std::span<const std::byte>, TimePoint)>& on_datagram) {
  pollfd pfd{fd_.get(), POLLIN, 0};
  const auto ms = std::chrono::ceil<Milliseconds>(timeout).count();
  const int ready = ::poll(&pfd, 1, static_cast<int>(ms));
  if (ready < 0) {
    if (errno == EINTR) return std::size_t{0};
    return fail_errno(errno, "poll");
  }
  std::size_t handled = 0;
  // Drain what is there, bounded so one flood cannot hold the thread forever.
  for (; handled < 256; ++handled) {
    const ssize_t got = ::recv(fd_.get(), buffer_.data(), buffer_.size(), MSG_TRUNC);
    if (got < 0) {
      if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) break;
      return fail_errno(errno, "recv");
    }
    const TimePoint arrival = Clock::now();
    // MSG_TRUNC reports the real length: an oversized datagram stays oversized for the parser.
    const auto length = std::min<std::size_t>(static_cast<std::size_t>(got), buffer_.size());
    on_datagram(std::span<const std::byte>(buffer_.data(), length), arrival);
  }
  return handled;
}

}  // namespace periscope::audio
