# frozen_string_literal: true

require_relative "test_helper"

# JsonWriter reuses JSON::State objects: what it writes and what it raises
# must be JSON.generate's, also right after a failure and when a value's
# #to_json writes JSON of its own.
class JsonWriterTest < Minitest::Test
  W = AuraGuard::JsonWriter

  # Nested Arrays, `depth` deep.
  def nested(depth)
    (1...depth).reduce([]) { |inner, _| [inner] }
  end

  def outcome
    [:ok, yield]
  rescue JSON::JSONError => e
    [e.class, e.message]
  end

  def test_writes_what_json_generate_writes
    values = [{ order_id: "A-1", n: 1, ok: true, none: nil }, { "é" => "\u2028\"\\\n", list: [1.5, -2, 10**30] },
              "text", 42, nil, [], {}]
    values.each { |value| assert_equal JSON.generate(value), W.generate(value) }
  end

  def test_a_failure_leaves_the_next_value_written_as_json_generate_would
    [Float::NAN, nested(101), { x: nested(100) }, nested(100), { x: nested(99) }, "\xFF".b, { ok: 1 }].each do |value|
      assert_equal outcome { JSON.generate(value) }, outcome { W.generate(value) }, value.inspect[0, 40]
    end
  end

  def test_a_to_json_writing_json_itself_gets_a_state_of_its_own
    inner = Class.new do
      def to_json(*)
        AuraGuard::JsonWriter.generate({ inner: [1, 2] })
      end
    end
    value = { outer: inner.new, after: nested(3) }
    assert_equal %({"outer":{"inner":[1,2]},"after":[[[]]]}), W.generate(value)
  end

  def test_threads_writing_at_once_each_get_their_own_text
    threads = Array.new(6) do |t|
      Thread.new { Array.new(300) { |i| W.generate({ t: t, i: i, list: Array.new(i % 7) { t } }) } }
    end
    threads.each_with_index do |thread, t|
      assert_equal Array.new(300) { |i| JSON.generate({ t: t, i: i, list: Array.new(i % 7) { t } }) }, thread.value
    end
  end
end
