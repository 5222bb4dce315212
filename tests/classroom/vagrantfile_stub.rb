# Evaluates a Vagrantfile without Vagrant: a stand-in `Vagrant.configure` records every setting and
# prints them as JSON ({"machines": {name: [[method, args, kwargs], …]}}). Nothing starts a VM.
require "json"

class Recorder
  attr_reader :calls

  def initialize
    @calls = []
  end

  def respond_to_missing?(*)
    true
  end

  def method_missing(name, *args, **kwargs, &block)
    nested = nil
    if block
      nested = Recorder.new
      block.call(nested)
    end
    @calls << [name.to_s, args, kwargs.transform_keys(&:to_s), nested ? nested.calls : nil]
    self
  end
end

class MachineConfig
  attr_reader :vm

  def initialize
    @vm = Recorder.new
  end
end

class VmRoot
  attr_reader :machines

  def initialize
    @machines = {}
  end

  def define(name, **_options)
    machine = MachineConfig.new
    yield machine
    @machines[name] = machine.vm.calls
  end
end

class RootConfig
  attr_reader :vm

  def initialize
    @vm = VmRoot.new
  end
end

module Vagrant
  def self.configure(_version)
    config = RootConfig.new
    yield config
    puts JSON.generate({ "machines" => config.vm.machines })
  end
end

load ARGV.fetch(0)
