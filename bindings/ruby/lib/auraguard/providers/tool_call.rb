# frozen_string_literal: true

module AuraGuard
  module Providers
    # One tool call the model asked for, as read out of a response.
    #
    # - position: where it stands among the response's calls, from 0;
    # - id: what its result carries (tool_call_id, call_id or tool_use_id);
    # - arguments_json: the arguments as the provider sent them (for Messages,
    #   the input object written as JSON); nil when none were sent;
    # - arguments: read into a frozen Hash with symbol keys; nil when
    #   arguments_error says why they cannot be used (not JSON, not an
    #   object). Such a call is never run: its result tells the model why.
    ToolCall = Struct.new(:position, :id, :name, :arguments_json, :arguments, :arguments_error, keyword_init: true) do
      def to_s
        "#{name}(#{arguments_json}) ##{id}"
      end
    end
  end
end
