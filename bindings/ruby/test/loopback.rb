# frozen_string_literal: true

require "socket"
require "net/http"

# Real HTTP peers on 127.0.0.1 for the failure tests: one answering every
# request with a fixed status, one that reads requests and never answers,
# and a port where nothing listens. Each counts the requests it read.
class LoopbackServer
  attr_reader :port

  def self.closed_port
    server = TCPServer.new("127.0.0.1", 0)
    port = server.addr[1]
    server.close
    port
  end

  def initialize(status = nil)
    @status = status
    @server = TCPServer.new("127.0.0.1", 0)
    @port = @server.addr[1]
    @requests = Queue.new
    @clients = Queue.new
    @thread = Thread.new { serve }
  end

  def requests
    @requests.size
  end

  def close
    @thread.kill
    @server.close
    @clients.size.times { @clients.pop.close rescue nil } # rubocop:disable Style/RescueModifier
  end

  private

  def serve
    loop do
      client = @server.accept
      @clients << client
      Thread.new(client) { |c| answer(c) }
    end
  rescue IOError, Errno::EBADF
    nil
  end

  def answer(client)
    head = +""
    head << client.readpartial(4096) until head.include?("\r\n\r\n")
    @requests << 1
    return unless @status

    client.write("HTTP/1.1 #{@status} Status\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
    client.close
  rescue IOError, SystemCallError
    nil
  end
end

# One POST, with a short read timeout; raises Net::HTTP's errors, and for an
# error status the response's exception (Net::HTTPExceptions).
def post(port, path = "/", read_timeout: 5)
  http = Net::HTTP.new("127.0.0.1", port)
  http.open_timeout = 5
  http.read_timeout = read_timeout
  http.max_retries = 0
  response = http.post(path, "", "Content-Type" => "text/plain")
  response.value # raises for 4xx and 5xx
  response.body
end
